import PlinthNN

// Legend: B batch, K horizon, A action width, P state width.

/// The statistics that map a task's raw actions and states to what a policy
/// learns and back, kept as buffers so they travel inside the checkpoint.
///
/// Actions: x = clamp(2 (a - low) / (high - low) - 1, -1, 1) per dimension, with
/// `low` and `high` the 1st and 99th percentiles of the demonstrations
/// (OpenVLA's bounds, robust to rare outliers); `denormalize` inverts it inside
/// the bounds. States: z = (s - mean) / std.
///
/// Keys: `action_low` [A], `action_high` [A], `state_mean` [P], `state_std` [P].
public final class ActionNormalization: Module {
    public let actionLow: Tensor
    public let actionHigh: Tensor
    public let stateMean: Tensor
    public let stateStd: Tensor
    public var isTraining = true

    /// Identity-like statistics to be overwritten by `fit` or a loaded checkpoint.
    public init(stateDimension p: Int, actionDimension a: Int) {
        (actionLow, actionHigh) = (.full([a], -1), .ones([a]))
        (stateMean, stateStd) = (.zeros([p]), .ones([p]))
    }

    public var items: [(String, ModuleItem)] {
        [("action_low", .buffer(actionLow)), ("action_high", .buffer(actionHigh)),
         ("state_mean", .buffer(stateMean)), ("state_std", .buffer(stateStd))]
    }

    /// Sets the statistics from demonstrations: `actions` [N, A] and `states` [N, P], row-major.
    /// A dimension that barely varies gets a range of at least 1e-3 (actions) or a std of at least 1e-2 (states).
    public func fit(actions: [Float], states: [Float]) {
        let (a, p) = (actionLow.count, stateMean.count)
        let n = actions.count / a
        precondition(n > 0 && actions.count == n * a && states.count == n * p,
                     "ActionNormalization.fit: \(actions.count) action and \(states.count) state values for A = \(a), P = \(p)")
        for d in 0..<a {
            let column = stride(from: d, to: actions.count, by: a).map { actions[$0] }.sorted()
            var (low, high) = (percentile(column, 0.01), percentile(column, 0.99))
            if high - low < 1e-3 { (low, high) = ((low + high) / 2 - 5e-4, (low + high) / 2 + 5e-4) }
            (actionLow.pointer[d], actionHigh.pointer[d]) = (low, high)
        }
        for d in 0..<p {
            let column = stride(from: d, to: states.count, by: p).map { Double(states[$0]) }
            let mean = column.reduce(0, +) / Double(n)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            (stateMean.pointer[d], stateStd.pointer[d]) = (Float(mean), Float(max(variance.squareRoot(), 1e-2)))
        }
    }

    /// Raw actions [..., A] -> normalized, in [-1, 1].
    public func normalize(actions: Tensor) -> Tensor {
        ((actions - actionLow) * (2 / (actionHigh - actionLow)) - 1).clamp(min: -1, max: 1)
    }

    /// Normalized actions [..., A] -> raw.
    public func denormalize(actions: Tensor) -> Tensor {
        actionLow + (actions + 1) * ((actionHigh - actionLow) * 0.5)
    }

    /// Raw states [..., P] -> standardized.
    public func normalize(states: Tensor) -> Tensor { (states - stateMean) / stateStd }

    /// Linear interpolation between order statistics (NumPy's default percentile).
    private func percentile(_ sorted: [Float], _ q: Double) -> Float {
        let position = q * Double(sorted.count - 1)
        let i = Int(position), f = Float(position - Double(i))
        return i + 1 < sorted.count ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i]
    }
}
