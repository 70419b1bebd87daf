import PlinthNN

/// A BERT-family sentence encoder (a Hugging Face `BertModel` with
/// sentence-transformers' pooling), used as a text tower whose pooled output
/// is the joint embedding: `embed_dim` must equal `hidden_size`.
///
/// Field names are those of the Hugging Face config.json, plus `pooling` and
/// `normalize` from the sentence-transformers modules:
///
/// ```yaml
/// bert: {vocab_size: 30522, hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12,
///        intermediate_size: 1536, max_position_embeddings: 512, pooling: mean, normalize: true}
/// ```
public struct BertConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var hiddenAct: Activation
    /// The id that fills padding; tokens equal to it are masked out of attention and pooling.
    public var padTokenId: Int
    public var pooling: BertPooling
    /// Whether the pooled vector is L2-normalized (sentence-transformers' `Normalize` module).
    public var normalize: Bool

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
                hiddenAct: Activation = .gelu, padTokenId: Int = 0, pooling: BertPooling = .mean, normalize: Bool = true) {
        (self.vocabSize, self.hiddenSize, self.numHiddenLayers, self.numAttentionHeads) =
            (vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads)
        (self.intermediateSize, self.maxPositionEmbeddings, self.typeVocabSize, self.layerNormEps) =
            (intermediateSize, maxPositionEmbeddings, typeVocabSize, layerNormEps)
        (self.hiddenAct, self.padTokenId, self.pooling, self.normalize) = (hiddenAct, padTokenId, pooling, normalize)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act", padTokenId = "pad_token_id", pooling, normalize
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabSize: try c.decode(Int.self, forKey: .vocabSize), hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
                  numHiddenLayers: try c.decode(Int.self, forKey: .numHiddenLayers),
                  numAttentionHeads: try c.decode(Int.self, forKey: .numAttentionHeads),
                  intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
                  maxPositionEmbeddings: try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512,
                  typeVocabSize: try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2,
                  layerNormEps: try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12,
                  hiddenAct: try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? .gelu,
                  padTokenId: try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? 0,
                  pooling: try c.decodeIfPresent(BertPooling.self, forKey: .pooling) ?? .mean,
                  normalize: try c.decodeIfPresent(Bool.self, forKey: .normalize) ?? true)
    }
}

/// How token states become one sentence vector (sentence-transformers' `Pooling` modes).
public enum BertPooling: String, Codable, Sendable, CaseIterable {
    /// The mean over real (unpadded) tokens.
    case mean
    /// The first token's state ([CLS]).
    case cls
}
