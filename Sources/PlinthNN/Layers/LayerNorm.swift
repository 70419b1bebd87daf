/// Layer normalization over the last dimension. x [..., D] -> [..., D].
/// Keys: `weight` [D] (ones), `bias` [D] (zeros).
public final class LayerNorm: Module {
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float
    public var isTraining = true

    public init(_ dim: Int, eps: Float = 1e-5, affine: Bool = true) {
        weight = affine ? .ones([dim], requiresGrad: true) : nil
        bias = affine ? .zeros([dim], requiresGrad: true) : nil
        self.eps = eps
    }

    public var items: [(String, ModuleItem)] {
        guard let weight, let bias else { return [] }
        return [("weight", .parameter(weight)), ("bias", .parameter(bias))]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.layerNorm(x, weight: weight, bias: bias, eps: eps) }
}
