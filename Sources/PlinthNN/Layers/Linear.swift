/// y = x W^T + b. x [..., I] -> [..., O]. Keys: `weight` [O, I], `bias` [O].
/// Initialized as PyTorch's nn.Linear: U(-1/sqrt(I), 1/sqrt(I)) for both.
///
/// An optional ``LoRA`` adapter adds scale * (x A^T) B^T while unmerged. It is
/// not one of `items`, so the layer's keys and state dict stay the base ones.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true
    /// A low-rank adapter for `weight` [O, I]; see ``LoRAAdapters`` to attach them by key.
    public var lora: LoRA? {
        didSet {
            guard let lora else { return }
            precondition([lora.outFeatures, lora.inFeatures] == weight.shape,
                         "Linear: LoRA for [\(lora.outFeatures), \(lora.inFeatures)] on weight \(weight.shape)")
        }
    }

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: RandomGenerator = .default) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = .rand([outFeatures, inFeatures], low: -bound, high: bound, generator: generator, requiresGrad: true)
        self.bias = bias ? .rand([outFeatures], low: -bound, high: bound, generator: generator, requiresGrad: true) : nil
    }

    public var items: [(String, ModuleItem)] {
        [("weight", .parameter(weight))] + (bias.map { [("bias", .parameter($0))] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = Tensor.linear(x, weight, bias)
        return lora?.adding(to: y, input: x) ?? y
    }
}
