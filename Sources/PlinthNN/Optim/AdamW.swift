import Foundation
import PlinthKernels

/// Adam with decoupled weight decay (Loshchilov & Hutter 2019), matching
/// `torch.optim.AdamW`: p -= lr*wd*p; then the bias-corrected Adam step.
/// Each group's `weightDecay` applies to its parameters.
public final class AdamW: Optimizer {
    public private(set) var groups: [ParameterGroup]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public private(set) var stepCount = 0
    private let slots = SlotStore()

    public init(_ groups: [ParameterGroup], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8) {
        self.groups = groups
        self.learningRate = learningRate
        (beta1, beta2) = betas
        self.eps = eps
    }

    /// One group holding `parameters` (named by position) with `weightDecay`.
    public convenience init(_ parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                            eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.init([ParameterGroup(positional: parameters, weightDecay: weightDecay)],
                  learningRate: learningRate, betas: betas, eps: eps)
    }

    public func step() {
        stepCount += 1
        let bc1 = 1 - Foundation.pow(beta1, Float(stepCount)), bc2 = 1 - Foundation.pow(beta2, Float(stepCount))
        for group in groups {
            let lr = learningRate * group.lrScale
            for (key, p) in group.parameters {
                guard let g = p.grad?.contiguous() else { continue }
                precondition(p.isContiguous, "AdamW: parameter \(key) is not contiguous")
                let m = slots.slot("\(key).exp_avg", like: p), v = slots.slot("\(key).exp_avg_sq", like: p)
                let (pp, pg, pm, pv) = (p.pointer, g.pointer, m.pointer, v.pointer)
                let (b1, b2, eps, wd) = (beta1, beta2, eps, group.weightDecay)
                Threads.parallelFor(p.count, grain: 1 << 16) { r in
                    let s = r.lowerBound
                    pk_adamw_step(pp + s, pg + s, pm + s, pv + s, Int64(r.count), lr, b1, b2, eps, wd, bc1, bc2)
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] {
        slots.slots.merging(["step": Tensor(scalar: Float(stepCount))]) { a, _ in a }
    }

    public func load(stateDict: [String: Tensor]) throws {
        guard let step = stateDict["step"] else { throw OptimizerStateError(description: "optimizer state has no 'step'") }
        try slots.load(stateDict, names: groups.flatMap(\.parameters), slotNames: ["exp_avg", "exp_avg_sq"])
        stepCount = Int(step.item())
    }
}
