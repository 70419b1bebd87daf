import Foundation

/// A learning rate as a function of the optimizer step (0-based).
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int) -> Float
}

extension LearningRateSchedule {
    /// Sets the optimizer's rate for its next step.
    public func apply(to optimizer: any Optimizer) {
        optimizer.learningRate = learningRate(at: optimizer.stepCount)
    }
}

public struct ConstantSchedule: LearningRateSchedule {
    public let rate: Float
    public init(_ rate: Float) { self.rate = rate }
    public func learningRate(at step: Int) -> Float { rate }
}

/// Linear warmup from 0 over `warmup` steps, then cosine decay to `minimum` at
/// `total` steps (open_clip's `cosine_lr`).
public struct WarmupCosineSchedule: LearningRateSchedule {
    public let base: Float, warmup: Int, total: Int, minimum: Float

    public init(base: Float, warmup: Int, total: Int, minimum: Float = 0) {
        precondition(total > warmup, "WarmupCosineSchedule: total \(total) must exceed warmup \(warmup)")
        (self.base, self.warmup, self.total, self.minimum) = (base, warmup, total, minimum)
    }

    public func learningRate(at step: Int) -> Float {
        if step < warmup { return base * Float(step + 1) / Float(warmup) }
        let progress = Float(Swift.min(step, total) - warmup) / Float(total - warmup)
        return minimum + 0.5 * (1 + cos(.pi * progress)) * (base - minimum)
    }
}

/// Multiplies the rate by `gamma` every `stepSize` steps.
public struct StepSchedule: LearningRateSchedule {
    public let base: Float, stepSize: Int, gamma: Float

    public init(base: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "StepSchedule: stepSize must be positive")
        (self.base, self.stepSize, self.gamma) = (base, stepSize, gamma)
    }

    public func learningRate(at step: Int) -> Float { base * pow(gamma, Float(step / stepSize)) }
}
