import Foundation

/// ACT's temporal ensembling (Zhao et al. 2023, section 3.4): at every step
/// the policy predicts a chunk for the next K steps, and the action executed
/// at step t is the weighted mean of all predictions made for t, with weight
/// exp(-m i) for the i-th oldest (i = 0 first), so older predictions count
/// more and the motion stays smooth. With K = 1 it executes each prediction as is.
public struct TemporalEnsemble: Sendable {
    public let horizon: Int
    public let decay: Float
    /// Predictions for upcoming steps: pending[t - now] holds (weight, weighted sum) rows.
    private var pending: [(weights: Float, sum: [Float], count: Int)] = []

    public init(horizon: Int, decay: Float) {
        precondition(horizon >= 1, "TemporalEnsemble: horizon \(horizon)")
        (self.horizon, self.decay) = (horizon, decay)
    }

    /// Adds the chunk predicted now (K rows of A values) and returns the action to execute now.
    public mutating func step(chunk: [[Float]]) -> [Float] {
        precondition(chunk.count == horizon, "TemporalEnsemble: a chunk of \(chunk.count) for horizon \(horizon)")
        while pending.count < horizon { pending.append((0, [Float](repeating: 0, count: chunk[0].count), 0)) }
        for (j, action) in chunk.enumerated() {
            // This prediction is the `count`-th made for step now + j.
            let w = (-decay * Float(pending[j].count)).exp()
            pending[j].weights += w
            pending[j].sum = zip(pending[j].sum, action).map { $0 + w * $1 }
            pending[j].count += 1
        }
        let now = pending.removeFirst()
        return now.sum.map { $0 / now.weights }
    }
}

private extension Float {
    func exp() -> Float { Float(Foundation.exp(Double(self))) }
}
