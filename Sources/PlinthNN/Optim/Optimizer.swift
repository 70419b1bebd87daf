/// An optimizer updates parameters in place from their accumulated `grad`.
///
/// Gradients add up across `backward()` calls until `zeroGrad()`, so gradient
/// accumulation over micro-batches is: scale each micro-batch loss by
/// 1/steps, call backward on each, then `step()` once.
public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get }
    /// The base learning rate; schedules set it before each step.
    var learningRate: Float { get set }
    /// Number of `step()` calls so far.
    var stepCount: Int { get }
    func step()
    /// Optimizer state by key (`<param key>.<slot>`), plus `step`.
    func stateDict() -> [String: Tensor]
    func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
    public func zeroGrad() { for g in groups { for (_, p) in g.parameters { p.grad = nil } } }

    public var parameters: [Tensor] { groups.flatMap { $0.parameters.map(\.1) } }
}

/// A missing or mis-shaped optimizer state entry.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
}

/// Per-parameter state slots (moment buffers), created lazily as zeros.
final class SlotStore {
    private(set) var slots: [String: Tensor] = [:]

    func slot(_ key: String, like p: Tensor) -> Tensor {
        if let t = slots[key] { return t }
        let t = Tensor.zeros(p.shape)
        slots[key] = t
        return t
    }

    func load(_ dict: [String: Tensor], names: [(String, Tensor)], slotNames: [String]) throws {
        var loaded: [String: Tensor] = [:]
        for (key, p) in names {
            for s in slotNames {
                guard let t = dict["\(key).\(s)"] else { continue }
                guard t.shape == p.shape else {
                    throw OptimizerStateError(description: "optimizer state \(key).\(s) has shape \(t.shape), parameter has \(p.shape)")
                }
                loaded["\(key).\(s)"] = t.copy()
            }
        }
        slots = loaded
    }
}
