// Legend: B batch, T tokens, D width.

/// A pre-norm transformer block with open_clip's keys (`ln_1`, `attn`, `ln_2`, `mlp`):
/// x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)). x [B, T, D] -> [B, T, D].
public final class ResidualAttentionBlock: Module {
    public let ln1: LayerNorm
    public let attn: MultiheadAttention
    public let ln2: LayerNorm
    public let mlp: MLP
    public var isTraining = true

    public init(_ dim: Int, heads: Int, mlpRatio: Float = 4, activation: Activation = .gelu,
                generator: RandomGenerator = .default) {
        ln1 = LayerNorm(dim)
        attn = MultiheadAttention(dim, heads: heads, generator: generator)
        ln2 = LayerNorm(dim)
        mlp = MLP(dim, hidden: Int(Float(dim) * mlpRatio), activation: activation, generator: generator)
    }

    public var items: [(String, ModuleItem)] {
        [("ln_1", .module(ln1)), ("attn", .module(attn)), ("ln_2", .module(ln2)), ("mlp", .module(mlp))]
    }

    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, causal: Bool = false) -> Tensor {
        let h = x + attn(ln1(x), mask: mask, causal: causal)
        return h + mlp(ln2(h))
    }
}
