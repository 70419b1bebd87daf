import PlinthNN

// Legend: B batch, T tokens (trimmed to the longest row), D hidden, I intermediate, H heads, V vocabulary.

/// A BERT encoder with Hugging Face `BertModel`'s keys (`embeddings.*`,
/// `encoder.layer.N.*`; the unused `pooler` is not kept), pooled into one
/// sentence vector as sentence-transformers does. Devlin et al. 2019;
/// Reimers and Gurevych 2019.
///
/// Embeddings are word + position + token type 0, then LayerNorm. Each layer
/// is post-norm: h = LN(x + attn(x)); out = LN(h + W2 act(W1 h)), with a
/// padding mask on the keys. Dropout is not applied (the tower is used for
/// inference and locked-text tuning).
public final class BertEncoder: Module {
    public let config: BertConfig
    public let wordEmbeddings: Embedding         // [V, D]
    public let positionEmbeddings: Embedding     // [max_position_embeddings, D]
    public let tokenTypeEmbeddings: Embedding    // [type_vocab_size, D]
    public let embeddingsNorm: LayerNorm
    public let layers: [BertLayer]
    public var isTraining = true

    /// Initialized as Hugging Face does: N(0, 0.02) weights, zero biases, unit norms.
    public init(_ config: BertConfig, generator: RandomGenerator = .default) {
        let d = config.hiddenSize
        self.config = config
        wordEmbeddings = Embedding(config.vocabSize, d, generator: generator)
        positionEmbeddings = Embedding(config.maxPositionEmbeddings, d, generator: generator)
        tokenTypeEmbeddings = Embedding(config.typeVocabSize, d, generator: generator)
        embeddingsNorm = LayerNorm(d, eps: config.layerNormEps)
        layers = (0..<config.numHiddenLayers).map { _ in BertLayer(config, generator: generator) }
        for (key, p) in namedParameters() where !key.contains("LayerNorm") {
            if key.hasSuffix("bias") { p.fill(0) } else { Init.normal(p, std: 0.02, generator: generator) }
        }
    }

    public var items: [(String, ModuleItem)] {
        [("embeddings.word_embeddings", .module(wordEmbeddings)),
         ("embeddings.position_embeddings", .module(positionEmbeddings)),
         ("embeddings.token_type_embeddings", .module(tokenTypeEmbeddings)),
         ("embeddings.LayerNorm", .module(embeddingsNorm)), ("encoder.layer", .modules(layers))]
    }

    /// ids [B*T0] (rows padded with `pad_token_id` at the end) -> sentence vectors [B, D],
    /// pooled from `tokens` as `config.pooling` says.
    public func encode(_ ids: [Int], batch b: Int) -> Tensor {
        let x = tokens(ids, batch: b)
        let pooled: Tensor
        switch config.pooling {
        case .cls:
            pooled = x.tokens.narrow(1, 0, 1).reshape([b, config.hiddenSize])                // [B, D]
        case .mean:
            let counts = x.keep.sum(dim: 1, keepdim: true)                                   // [B, 1]
            pooled = (x.tokens * x.keep.unsqueeze(2)).sum(dim: 1) / counts                   // [B, D]
        }
        return config.normalize ? pooled.l2Normalized() : pooled
    }

    /// ids [B*T0] (rows padded with `pad_token_id` at the end) -> the last layer's
    /// token features [B, T, D] and which are real. Trailing padding shared by every
    /// row is trimmed first; the real tokens' features do not depend on it.
    public func tokens(_ ids: [Int], batch b: Int) -> TextTokens {
        precondition(b > 0 && ids.count % b == 0, "BertEncoder: \(ids.count) ids for batch \(b)")
        let rowLength = ids.count / b
        let lengths = (0..<b).map { row in
            let r = ids[row * rowLength..<(row + 1) * rowLength]
            return max((r.lastIndex { $0 != config.padTokenId } ?? (r.startIndex - 1)) - r.startIndex + 1, 1)
        }
        let t = lengths.max()!
        precondition(t <= config.maxPositionEmbeddings,
                     "BertEncoder: \(t) tokens exceed max_position_embeddings \(config.maxPositionEmbeddings)")
        let trimmed = (0..<b).flatMap { ids[$0 * rowLength..<$0 * rowLength + t] }
        var x = wordEmbeddings(trimmed, shape: [b, t])                                     // [B, T, D]
            + positionEmbeddings.weight.narrow(0, 0, t) + tokenTypeEmbeddings.weight.narrow(0, 0, 1)
        x = embeddingsNorm(x)
        let keep = (0..<b).flatMap { row in (0..<t).map { $0 < lengths[row] ? Float(1) : 0 } }
        let mask = Tensor(keep.map { $0 == 1 ? 0 : -Float.infinity }, shape: [b, 1, 1, t])  // additive, over keys
        for layer in layers { x = layer(x, mask: mask) }
        return TextTokens(tokens: x, keep: Tensor(keep, shape: [b, t]))
    }
}

/// One post-norm BERT layer with Hugging Face's keys: `attention.self.{query,key,value}`,
/// `attention.output.{dense,LayerNorm}`, `intermediate.dense`, `output.{dense,LayerNorm}`.
/// x [B, T, D] -> [B, T, D].
public final class BertLayer: Module {
    public let query: Linear, key: Linear, value: Linear
    public let attentionOutput: Linear
    public let attentionNorm: LayerNorm
    public let intermediate: Linear
    public let output: Linear
    public let outputNorm: LayerNorm
    public let heads: Int
    public let activation: Activation
    public var isTraining = true

    init(_ c: BertConfig, generator: RandomGenerator) {
        let d = c.hiddenSize
        precondition(d % c.numAttentionHeads == 0, "BertLayer: hidden_size \(d) is not divisible by \(c.numAttentionHeads) heads")
        query = Linear(d, d, generator: generator)
        key = Linear(d, d, generator: generator)
        value = Linear(d, d, generator: generator)
        attentionOutput = Linear(d, d, generator: generator)
        attentionNorm = LayerNorm(d, eps: c.layerNormEps)
        intermediate = Linear(d, c.intermediateSize, generator: generator)
        output = Linear(c.intermediateSize, d, generator: generator)
        outputNorm = LayerNorm(d, eps: c.layerNormEps)
        (heads, activation) = (c.numAttentionHeads, c.hiddenAct)
    }

    public var items: [(String, ModuleItem)] {
        [("attention.self.query", .module(query)), ("attention.self.key", .module(key)),
         ("attention.self.value", .module(value)), ("attention.output.dense", .module(attentionOutput)),
         ("attention.output.LayerNorm", .module(attentionNorm)), ("intermediate.dense", .module(intermediate)),
         ("output.dense", .module(output)), ("output.LayerNorm", .module(outputNorm))]
    }

    /// mask: additive [B, 1, 1, T] over the keys (0 keep, -inf padding).
    public func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let qkv = Tensor.concat([query(x), key(x), value(x)], dim: 2)                     // [B, T, 3D]
        let h = attentionNorm(x + attentionOutput(Tensor.selfAttention(packed: qkv, heads: heads, mask: mask)))
        return outputNorm(h + output(activation(intermediate(h))))
    }
}
