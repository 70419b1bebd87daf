/// y = x W^T + b. x [..., I] -> [..., O]. Keys: `weight` [O, I], `bias` [O].
/// Initialized as PyTorch's nn.Linear: U(-1/sqrt(I), 1/sqrt(I)) for both.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: RandomGenerator = .default) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = .rand([outFeatures, inFeatures], low: -bound, high: bound, generator: generator, requiresGrad: true)
        self.bias = bias ? .rand([outFeatures], low: -bound, high: bound, generator: generator, requiresGrad: true) : nil
    }

    public var items: [(String, ModuleItem)] {
        [("weight", .parameter(weight))] + (bias.map { [("bias", .parameter($0))] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.linear(x, weight, bias) }
}
