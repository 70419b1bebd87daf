import PlinthModels
import PlinthNN

/// The shape of a caption head (ClipCap, Mokady et al. 2021): a mapper from
/// the multimodal model's output to K prefix tokens, and a causal text decoder
/// that continues the prefix with a caption. Codable with snake_case keys:
///
/// ```yaml
/// {input: embedding, mapper: transformer, prefix_length: 10, mapper_layers: 2,
///  width: 128, layers: 2, heads: 4, vocab_size: 1867, context_length: 32}
/// ```
public struct CaptionConfig: Codable, Equatable, Sendable {
    /// What the mapper reads from the multimodal model.
    public enum Input: String, Codable, Sendable {
        /// The L2-normalized joint embedding [B, E].
        case embedding
        /// The shared backbone's output tokens [B, N, D] (needs shared blocks).
        case tokens
    }

    public enum Mapper: String, Codable, Sendable {
        /// ClipCap's MLP: Linear, tanh, Linear to K x D (reads the embedding only).
        case mlp
        /// ClipCap's transformer mapper: the input and K learned constants through
        /// non-causal blocks; the constants' outputs are the prefix.
        case transformer
    }

    public var input: Input
    public var mapper: Mapper
    /// K, the number of prefix tokens.
    public var prefixLength: Int
    /// Blocks of the transformer mapper.
    public var mapperLayers: Int
    /// Hidden width of the MLP mapper (default: half of E + K x D, as ClipCap).
    public var mapperHidden: Int?
    /// Decoder width D, blocks and heads.
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpRatio: Float
    public var activation: Activation
    /// The decoder tokenizer's vocabulary size and context length (start and end tokens included).
    public var vocabSize: Int
    public var contextLength: Int

    public init(input: Input = .embedding, mapper: Mapper = .transformer, prefixLength: Int = 10, mapperLayers: Int = 2,
                mapperHidden: Int? = nil, width: Int, layers: Int, heads: Int, mlpRatio: Float = 4,
                activation: Activation = .gelu, vocabSize: Int, contextLength: Int) {
        (self.input, self.mapper, self.prefixLength, self.mapperLayers, self.mapperHidden) =
            (input, mapper, prefixLength, mapperLayers, mapperHidden)
        (self.width, self.layers, self.heads, self.mlpRatio, self.activation) = (width, layers, heads, mlpRatio, activation)
        (self.vocabSize, self.contextLength) = (vocabSize, contextLength)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case input, mapper, prefixLength = "prefix_length", mapperLayers = "mapper_layers", mapperHidden = "mapper_hidden"
        case width, layers, heads, mlpRatio = "mlp_ratio", activation, vocabSize = "vocab_size", contextLength = "context_length"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        input = try c.decodeIfPresent(Input.self, forKey: .input) ?? .embedding
        mapper = try c.decodeIfPresent(Mapper.self, forKey: .mapper) ?? .transformer
        prefixLength = try c.decodeIfPresent(Int.self, forKey: .prefixLength) ?? 10
        mapperLayers = try c.decodeIfPresent(Int.self, forKey: .mapperLayers) ?? 2
        mapperHidden = try c.decodeIfPresent(Int.self, forKey: .mapperHidden)
        width = try c.decode(Int.self, forKey: .width)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        mlpRatio = try c.decodeIfPresent(Float.self, forKey: .mlpRatio) ?? 4
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        contextLength = try c.decode(Int.self, forKey: .contextLength)
    }

    /// The width of what the mapper reads from `model`: E, or the shared width.
    public func conditionWidth(_ model: ModelConfig) -> Int {
        input == .embedding ? model.embedDim : model.shared.width
    }

    /// Checks the head against the model it sits on; the error names the field.
    public func validate(on model: ModelConfig) throws {
        func check(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw ModelConfigError(field: field, message: message) }
        }
        try check(prefixLength > 0, "prefix_length", "must be positive, got \(prefixLength)")
        try check(width > 0 && heads > 0 && width % heads == 0, "width", "\(width) must be a positive multiple of heads \(heads)")
        try check(layers > 0, "layers", "must be positive, got \(layers)")
        try check(vocabSize > 2 && contextLength > 2, "vocab_size", "vocab_size and context_length must be above 2")
        try check(mapper == .mlp || mapperLayers > 0, "mapper_layers", "the transformer mapper needs at least one block")
        try check(mapperHidden.map { $0 > 0 } ?? true, "mapper_hidden", "must be positive")
        try check(input == .embedding || mapper == .transformer, "mapper",
                  "the mlp mapper reads the joint embedding; use the transformer mapper for input: tokens")
        try check(input == .embedding || model.shared.layers > 0, "input",
                  "tokens are the shared backbone's output, and this model has no shared blocks")
    }
}
