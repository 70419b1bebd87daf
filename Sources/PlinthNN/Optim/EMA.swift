/// An exponential moving average of a module's parameters:
/// shadow = decay * shadow + (1 - decay) * param after each `update()`.
/// `stateDict()` has the module's keys, so the average loads into a copy of the model.
public final class EMA {
    public let decay: Float
    private let tracked: [(String, Tensor)]
    public let shadow: [String: Tensor]

    public init(_ module: any Module, decay: Float = 0.999) {
        precondition(decay >= 0 && decay < 1, "EMA: decay must be in [0, 1), got \(decay)")
        self.decay = decay
        tracked = module.namedParameters()
        shadow = Dictionary(uniqueKeysWithValues: tracked.map { ($0.0, $0.1.copy()) })
    }

    public func update() {
        withNoGrad {
            for (key, p) in tracked {
                let s = shadow[key]!
                s.assign(s * decay + p * (1 - decay))
            }
        }
    }

    public func stateDict() -> [String: Tensor] { shadow }
}
