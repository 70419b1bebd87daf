/// An exponential moving average of a module's parameters:
/// shadow = d * shadow + (1 - d) * param after each `update`, where
/// d = min(decay, (1 + n) / (10 + n)) after n earlier updates (diffusers'
/// `EMAModel` without warmup), so early averages are not stuck at the
/// initialization. `update()` without a count uses `decay` itself.
///
/// As a `Module` its buffers are the shadow tensors under the module's keys,
/// so the average is checkpointed with a run and loads into a copy of the model.
public final class EMA: Module {
    public let decay: Float
    private let tracked: [(String, Tensor)]
    public let shadow: [String: Tensor]
    public var isTraining = true

    public init(_ module: any Module, decay: Float = 0.999) {
        precondition(decay >= 0 && decay < 1, "EMA: decay must be in [0, 1), got \(decay)")
        self.decay = decay
        tracked = module.namedParameters()
        shadow = Dictionary(uniqueKeysWithValues: tracked.map { ($0.0, $0.1.copy()) })
    }

    public var items: [(String, ModuleItem)] { tracked.map { ($0.0, .buffer(shadow[$0.0]!)) } }

    /// Folds the current parameters in; `updates` is how many updates came before (nil: use `decay` as is).
    public func update(after updates: Int? = nil) {
        let d = updates.map { Swift.min(decay, Float(1 + $0) / Float(10 + $0)) } ?? decay
        withNoGrad {
            for (key, p) in tracked {
                let s = shadow[key]!
                s.assign(s * d + p * (1 - d))
            }
        }
    }

}
