import PlinthNN

/// The shape of a multimodal model: one optional tower per modality, an
/// optional shared backbone and the joint embedding width. Codable with the
/// snake_case keys recipes use:
///
/// ```yaml
/// embed_dim: 128
/// shared: {layers: 2, width: 128, heads: 4}
/// vision: {image_size: 32, patch_size: 4, width: 128, layers: 1, heads: 4}
/// text: {vocab_size: 4096, context_length: 32, width: 128, layers: 1, heads: 4}
/// ```
///
/// With `shared.layers > 0` every tower's width must equal `shared.width`;
/// with 0 shared layers the towers are separate (open_clip's CLIP). The text
/// tower is either `text` (CLIP's causal transformer) or `bert` (a pretrained
/// sentence encoder, outside the shared blocks, whose pooled output is the
/// joint embedding).
public struct ModelConfig: Codable, Equatable, Sendable {
    public var embedDim: Int
    public var shared: SharedConfig
    public var vision: VisionConfig?
    public var audio: AudioConfig?
    public var text: TextConfig?
    public var bert: BertConfig?

    public init(embedDim: Int, shared: SharedConfig, vision: VisionConfig? = nil, audio: AudioConfig? = nil,
                text: TextConfig? = nil, bert: BertConfig? = nil) {
        (self.embedDim, self.shared, self.vision, self.audio, self.text, self.bert) =
            (embedDim, shared, vision, audio, text, bert)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case embedDim = "embed_dim", shared, vision, audio, text, bert
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embedDim = try c.decode(Int.self, forKey: .embedDim)
        shared = try c.decodeIfPresent(SharedConfig.self, forKey: .shared) ?? SharedConfig(layers: 0, width: 0, heads: 1)
        vision = try c.decodeIfPresent(VisionConfig.self, forKey: .vision)
        audio = try c.decodeIfPresent(AudioConfig.self, forKey: .audio)
        text = try c.decodeIfPresent(TextConfig.self, forKey: .text)
        bert = try c.decodeIfPresent(BertConfig.self, forKey: .bert)
    }

    /// Checks every constraint a model needs; the error names the field.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw ModelConfigError(field: field, message: message) }
        }
        try check(embedDim > 0, "embed_dim", "must be positive, got \(embedDim)")
        try check(shared.layers >= 0, "shared.layers", "must be >= 0, got \(shared.layers)")
        try check(vision != nil || audio != nil || text != nil || bert != nil, "vision/audio/text",
                  "a model needs at least one tower")
        if shared.layers > 0 {
            try check(shared.width > 0 && shared.heads > 0 && shared.width % shared.heads == 0, "shared.width",
                      "\(shared.width) must be a positive multiple of shared.heads \(shared.heads)")
        }
        for (name, tower) in towers {
            try check(tower.width > 0 && tower.heads > 0 && tower.width % tower.heads == 0, "\(name).width",
                      "\(tower.width) must be a positive multiple of \(name).heads \(tower.heads)")
            try check(tower.layers >= 0, "\(name).layers", "must be >= 0, got \(tower.layers)")
            if shared.layers > 0 {
                try check(tower.width == shared.width, "\(name).width",
                          "\(tower.width) must equal shared.width \(shared.width) when blocks are shared")
            }
        }
        if let v = vision {
            try check(v.patchSize > 0 && v.imageSize % v.patchSize == 0, "vision.patch_size",
                      "\(v.patchSize) must divide vision.image_size \(v.imageSize)")
        }
        if let a = audio {
            try check(a.patchSize > 0 && a.patchStride > 0 && a.patchSize <= a.melBins && a.patchSize <= a.frames,
                      "audio.patch_size", "\(a.patchSize) with stride \(a.patchStride) does not fit \(a.melBins) x \(a.frames)")
        }
        if let t = text {
            try check(t.vocabSize > 0 && t.contextLength > 0, "text.vocab_size", "vocab_size and context_length must be positive")
        }
        if let b = bert {
            try check(text == nil, "bert", "a model has one text tower: give text or bert, not both")
            try check(b.hiddenSize == embedDim, "bert.hidden_size",
                      "\(b.hiddenSize) must equal embed_dim \(embedDim) (the pooled sentence vector is the joint embedding)")
            try check(b.numAttentionHeads > 0 && b.hiddenSize % b.numAttentionHeads == 0, "bert.hidden_size",
                      "\(b.hiddenSize) must be a positive multiple of bert.num_attention_heads \(b.numAttentionHeads)")
            try check(b.vocabSize > 0 && b.numHiddenLayers >= 0 && b.maxPositionEmbeddings > 0 && b.typeVocabSize > 0,
                      "bert.vocab_size", "vocab_size, max_position_embeddings and type_vocab_size must be positive")
        }
    }

    /// The width of the text tower's token features (`MultimodalModel.tokens(text:batch:)`), nil without one.
    public var textTokenWidth: Int? {
        if let bert { return bert.hiddenSize }
        return text.map { shared.layers > 0 ? shared.width : $0.width }
    }

    var towers: [(String, TowerShape)] {
        var out: [(String, TowerShape)] = []
        if let v = vision { out.append(("vision", v)) }
        if let a = audio { out.append(("audio", a)) }
        if let t = text { out.append(("text", t)) }
        return out
    }
}

/// Width, depth and heads of a tower's modality-specific blocks.
protocol TowerShape {
    var width: Int { get }
    var layers: Int { get }
    var heads: Int { get }
}

/// The blocks every modality runs through after its own tower.
public struct SharedConfig: Codable, Equatable, Sendable {
    public var layers: Int
    public var width: Int
    public var heads: Int
    public var mlpRatio: Float
    public var activation: Activation

    public init(layers: Int, width: Int, heads: Int, mlpRatio: Float = 4, activation: Activation = .gelu) {
        (self.layers, self.width, self.heads, self.mlpRatio, self.activation) = (layers, width, heads, mlpRatio, activation)
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case layers, width, heads, mlpRatio = "mlp_ratio", activation }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decode(Int.self, forKey: .layers)
        width = try c.decodeIfPresent(Int.self, forKey: .width) ?? 0
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? 1
        mlpRatio = try c.decodeIfPresent(Float.self, forKey: .mlpRatio) ?? 4
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu
    }
}

/// A Vision Transformer tower (open_clip's `VisionTransformer`).
public struct VisionConfig: Codable, Equatable, Sendable, TowerShape {
    public var imageSize: Int
    public var patchSize: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpRatio: Float
    public var activation: Activation

    public init(imageSize: Int, patchSize: Int, width: Int, layers: Int, heads: Int, mlpRatio: Float = 4,
                activation: Activation = .gelu) {
        (self.imageSize, self.patchSize, self.width, self.layers, self.heads, self.mlpRatio, self.activation) =
            (imageSize, patchSize, width, layers, heads, mlpRatio, activation)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case imageSize = "image_size", patchSize = "patch_size", width, layers, heads, mlpRatio = "mlp_ratio", activation
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(imageSize: try c.decode(Int.self, forKey: .imageSize), patchSize: try c.decode(Int.self, forKey: .patchSize),
                  width: try c.decode(Int.self, forKey: .width), layers: try c.decode(Int.self, forKey: .layers),
                  heads: try c.decode(Int.self, forKey: .heads),
                  mlpRatio: try c.decodeIfPresent(Float.self, forKey: .mlpRatio) ?? 4,
                  activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu)
    }

    /// P, the number of patch tokens.
    public var patches: Int { (imageSize / patchSize) * (imageSize / patchSize) }
}

/// An audio spectrogram transformer tower over [mel_bins, frames] features
/// cut into overlapping patches (ImageBind / AST).
public struct AudioConfig: Codable, Equatable, Sendable, TowerShape {
    public var melBins: Int
    public var frames: Int
    public var patchSize: Int
    public var patchStride: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpRatio: Float
    public var activation: Activation

    public init(melBins: Int, frames: Int, patchSize: Int, patchStride: Int, width: Int, layers: Int, heads: Int,
                mlpRatio: Float = 4, activation: Activation = .gelu) {
        (self.melBins, self.frames, self.patchSize, self.patchStride) = (melBins, frames, patchSize, patchStride)
        (self.width, self.layers, self.heads, self.mlpRatio, self.activation) = (width, layers, heads, mlpRatio, activation)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case melBins = "mel_bins", frames, patchSize = "patch_size", patchStride = "patch_stride"
        case width, layers, heads, mlpRatio = "mlp_ratio", activation
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(melBins: try c.decode(Int.self, forKey: .melBins), frames: try c.decode(Int.self, forKey: .frames),
                  patchSize: try c.decode(Int.self, forKey: .patchSize),
                  patchStride: try c.decode(Int.self, forKey: .patchStride),
                  width: try c.decode(Int.self, forKey: .width), layers: try c.decode(Int.self, forKey: .layers),
                  heads: try c.decode(Int.self, forKey: .heads),
                  mlpRatio: try c.decodeIfPresent(Float.self, forKey: .mlpRatio) ?? 4,
                  activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu)
    }

    /// Patch rows along frequency and columns along time.
    public var grid: (frequency: Int, time: Int) {
        ((melBins - patchSize) / patchStride + 1, (frames - patchSize) / patchStride + 1)
    }
}

/// A causal text transformer tower (open_clip's text encoder).
public struct TextConfig: Codable, Equatable, Sendable, TowerShape {
    public var vocabSize: Int
    public var contextLength: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpRatio: Float
    public var activation: Activation

    public init(vocabSize: Int, contextLength: Int, width: Int, layers: Int, heads: Int, mlpRatio: Float = 4,
                activation: Activation = .gelu) {
        (self.vocabSize, self.contextLength, self.width, self.layers, self.heads, self.mlpRatio, self.activation) =
            (vocabSize, contextLength, width, layers, heads, mlpRatio, activation)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case vocabSize = "vocab_size", contextLength = "context_length", width, layers, heads, mlpRatio = "mlp_ratio"
        case activation
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabSize: try c.decode(Int.self, forKey: .vocabSize),
                  contextLength: try c.decode(Int.self, forKey: .contextLength),
                  width: try c.decode(Int.self, forKey: .width), layers: try c.decode(Int.self, forKey: .layers),
                  heads: try c.decode(Int.self, forKey: .heads),
                  mlpRatio: try c.decodeIfPresent(Float.self, forKey: .mlpRatio) ?? 4,
                  activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu)
    }
}

/// A config that cannot build a model; names the offending field.
public struct ModelConfigError: Error, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, message: String) { (self.field, self.message) = (field, message) }
    public var description: String { "model config: '\(field)' \(message)" }
}
