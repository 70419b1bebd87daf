/// A stack of residual attention blocks with open_clip's keys (`resblocks.N`).
/// x [B, T, D] -> [B, T, D].
public final class Transformer: Module {
    public let resblocks: [ResidualAttentionBlock]
    public var isTraining = true

    public init(width: Int, layers: Int, heads: Int, mlpRatio: Float = 4, activation: Activation = .gelu,
                generator: RandomGenerator = .default) {
        resblocks = (0..<layers).map { _ in
            ResidualAttentionBlock(width, heads: heads, mlpRatio: mlpRatio, activation: activation, generator: generator)
        }
    }

    public var items: [(String, ModuleItem)] { [("resblocks", .modules(resblocks))] }

    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, causal: Bool = false) -> Tensor {
        resblocks.reduce(x) { h, block in block(h, mask: mask, causal: causal) }
    }
}
