import PlinthNN

// Legend: B batch, K prefix length, T tokens, D width, V vocabulary.

/// A causal transformer language model that continues a prefix of K vectors
/// (GPT-2's design at small scale): `token_embedding` [V, D] (tied to the
/// output layer), `positional_embedding` [K + T, D] over prefix and tokens,
/// `transformer` blocks with a causal mask, `ln_final`.
public final class CaptionDecoder: Module {
    public let tokenEmbedding: Embedding    // [V, D]
    public let positionalEmbedding: Tensor  // [K + T, D]
    public let transformer: Transformer
    public let lnFinal: LayerNorm
    public var isTraining = true

    public init(_ config: CaptionConfig, generator: RandomGenerator = .default) {
        let d = config.width
        tokenEmbedding = Embedding(config.vocabSize, d, generator: generator)
        Init.normal(tokenEmbedding.weight, std: 0.02, generator: generator)
        positionalEmbedding = .randn([config.prefixLength + config.contextLength, d], std: 0.01, generator: generator,
                                     requiresGrad: true)
        transformer = Transformer(width: d, layers: config.layers, heads: config.heads, mlpRatio: config.mlpRatio,
                                  activation: config.activation, generator: generator)
        lnFinal = LayerNorm(d)
    }

    public var items: [(String, ModuleItem)] {
        [("token_embedding", .module(tokenEmbedding)), ("positional_embedding", .parameter(positionalEmbedding)),
         ("transformer", .module(transformer)), ("ln_final", .module(lnFinal))]
    }

    /// prefix [B, K, D] and ids [B*T] (row-major, T <= context_length) -> logits [B, T, V],
    /// row t scoring the token after ids[t].
    public func callAsFunction(prefix: Tensor, ids: [Int], length t: Int) -> Tensor {
        let (b, k, d) = (prefix.shape[0], prefix.shape[1], prefix.shape[2])
        precondition(ids.count == b * t && k + t <= positionalEmbedding.shape[0],
                     "CaptionDecoder: \(ids.count) ids for [\(b), \(t)] after \(k) prefix tokens (room for \(positionalEmbedding.shape[0]))")
        let tokens = tokenEmbedding(ids, shape: [b, t])                                 // [B, T, D]
        let x = Tensor.concat([prefix, tokens], dim: 1) + positionalEmbedding.narrow(0, 0, k + t)
        let h = lnFinal(transformer(x, causal: true).narrow(1, k, t))                   // [B, T, D]
        return Tensor.linear(h.reshape([b * t, d]), tokenEmbedding.weight, nil).reshape([b, t, -1])
    }
}
