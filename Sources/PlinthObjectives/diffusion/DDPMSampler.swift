import PlinthNN

/// DDPM ancestral sampling (Ho et al. 2020, eq. 6-7) with diffusers' DDPMScheduler semantics.
///
/// Visits diffusers' "leading" timesteps for `inferenceSteps` (any count in 1...T; T / n apart,
/// ending at 0). At `timesteps[index]` = t with the next visited timestep t' (-1 after the last,
/// where ᾱ_{-1} = 1), writing a = ᾱ_t, a' = ᾱ_{t'}, β = 1 - a / a' (the effective beta of the stride):
///
///     x̂0 = prediction's x0 from the model output (clamped to [-1, 1] when clipSample)
///     x_{t'} = sqrt(a') β / (1 - a) · x̂0 + sqrt(a / a') (1 - a') / (1 - a) · x_t + σ z
///     σ² = max((1 - a') / (1 - a) · β, 1e-20)   ("fixed_small", the posterior variance)
///
/// with z the passed noise, added only when t > 0 (so the last step, at t = 0, needs no noise).
/// The scalars are computed in Float32 in diffusers' order: at stride 1 the β above keeps only a
/// few digits in Float32, as it does in diffusers. Not implemented: other variance types,
/// thresholding, "sample" prediction, other spacings and steps_offset.
public struct DDPMSampler: DiffusionSampler {
    public let schedule: NoiseSchedule
    public let prediction: Prediction
    public let clipSample: Bool
    public let timesteps: [Int]
    public var isStochastic: Bool { true }

    public init(schedule: NoiseSchedule, inferenceSteps: Int, prediction: Prediction = .epsilon, clipSample: Bool = true) {
        self.schedule = schedule
        self.prediction = prediction
        self.clipSample = clipSample
        timesteps = leadingTimesteps(trainSteps: schedule.steps, inferenceSteps: inferenceSteps, "DDPMSampler")
    }

    /// The timestep visited after `timesteps[index]`, or -1 after the last (diffusers' `previous_timestep`).
    public func previousTimestep(_ index: Int) -> Int {
        index + 1 < timesteps.count ? timesteps[index + 1] : -1
    }

    /// sample, modelOutput, noise [B, ...] -> x at `previousTimestep(index)` [B, ...].
    public func step(_ modelOutput: Tensor, index: Int, sample: Tensor, noise: Tensor?) -> Tensor {
        checkStep("DDPMSampler", modelOutput, index: index, sample: sample, count: timesteps.count)
        let t = timesteps[index], previous = previousTimestep(index)
        let (alphaProd, alphaProdPrev, original) = stepStart(schedule, prediction, t: t, previous: previous,
                                                             modelOutput: modelOutput, sample: sample, clip: clipSample)
        let betaProd = 1 - alphaProd, betaProdPrev = 1 - alphaProdPrev
        let currentAlpha = alphaProd / alphaProdPrev
        let currentBeta = 1 - currentAlpha

        let originalCoefficient = alphaProdPrev.squareRoot() * currentBeta / betaProd
        let sampleCoefficient = currentAlpha.squareRoot() * betaProdPrev / betaProd
        let mean = originalCoefficient * original + sampleCoefficient * sample
        guard t > 0 else { return mean }
        let variance = Swift.max(betaProdPrev / betaProd * currentBeta, 1e-20)
        return mean + variance.squareRoot() * requireNoise(noise, sample, "DDPMSampler")
    }
}
