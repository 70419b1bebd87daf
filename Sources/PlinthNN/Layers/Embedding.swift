/// A lookup table. indices (with shape S) -> [S..., D]. Key: `weight` [V, D], N(0, 1) init.
public final class Embedding: Module {
    public let weight: Tensor
    public var isTraining = true

    public init(_ count: Int, _ dim: Int, generator: RandomGenerator = .default) {
        weight = .randn([count, dim], generator: generator, requiresGrad: true)
    }

    /// A table holding `weight` [V, D] itself.
    public init(weight: Tensor) { self.weight = weight }

    public var items: [(String, ModuleItem)] { [("weight", .parameter(weight))] }

    public func callAsFunction(_ indices: [Int], shape: [Int]) -> Tensor {
        Tensor.embedding(weight, indices: indices, shape: shape)
    }
}
