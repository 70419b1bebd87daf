import PlinthNN

/// DDIM sampling (Song et al. 2021, eq. 12) with diffusers' DDIMScheduler semantics.
///
/// Visits diffusers' "leading" timesteps for `inferenceSteps` (any count in 1...T; T / n apart,
/// ending at 0). At `timesteps[index]` = t the previous timestep is t' = t - T / n (integer division),
/// with ᾱ_{t'} = 1 when t' < 0 (set_alpha_to_one). Writing a = ᾱ_t, a' = ᾱ_{t'}:
///
///     x̂0, ε̂ = prediction's x0 and noise from the model output; x̂0 is then clamped to [-1, 1]
///              when clipSample, and ε̂ is NOT recomputed from the clamped x̂0 (diffusers'
///              use_clipped_model_output = false, its default and the DDIMPipeline's)
///     σ = eta · sqrt((1 - a') / (1 - a) · (1 - a / a'))
///     x_{t'} = sqrt(a') x̂0 + sqrt(1 - a' - σ²) ε̂ + σ z
///
/// with z the passed noise, used only when eta > 0 (eta = 0 is deterministic DDIM, eta = 1 DDPM's
/// variance). The last step returns x̂0 (a' = 1, σ = 0). Scalars are computed in Float32 in
/// diffusers' order; where diffusers would take the square root of a negative 1 - a' - σ²
/// (eta > 1, or rounding at eta = 1) this uses 0. Not implemented: thresholding, "sample"
/// prediction, other spacings and steps_offset.
public struct DDIMSampler: DiffusionSampler {
    public let schedule: NoiseSchedule
    public let inferenceSteps: Int
    public let eta: Double
    public let prediction: Prediction
    public let clipSample: Bool
    public let timesteps: [Int]
    public var isStochastic: Bool { eta > 0 }

    public init(schedule: NoiseSchedule, inferenceSteps: Int, eta: Double = 0, prediction: Prediction = .epsilon,
                clipSample: Bool = true) {
        precondition(eta >= 0 && eta.isFinite, "DDIMSampler: eta must be finite and non-negative, got \(eta)")
        self.schedule = schedule
        self.inferenceSteps = inferenceSteps
        self.eta = eta
        self.prediction = prediction
        self.clipSample = clipSample
        timesteps = leadingTimesteps(trainSteps: schedule.steps, inferenceSteps: inferenceSteps, "DDIMSampler")
    }

    /// t - T / n for the timestep at `index`; negative after the last (where ᾱ is taken as 1).
    public func previousTimestep(_ index: Int) -> Int {
        timesteps[index] - schedule.steps / inferenceSteps
    }

    /// sample, modelOutput, noise [B, ...] -> x at `previousTimestep(index)` [B, ...].
    public func step(_ modelOutput: Tensor, index: Int, sample: Tensor, noise: Tensor?) -> Tensor {
        checkStep("DDIMSampler", modelOutput, index: index, sample: sample, count: timesteps.count)
        let t = timesteps[index], previous = previousTimestep(index)
        let (alphaProd, alphaProdPrev, original) = stepStart(schedule, prediction, t: t, previous: previous,
                                                             modelOutput: modelOutput, sample: sample, clip: clipSample)
        let betaProd = 1 - alphaProd, betaProdPrev = 1 - alphaProdPrev
        let epsilon = prediction.predictedNoise(modelOutput, sample: sample, alphaCumprod: alphaProd)

        let variance = (betaProdPrev / betaProd) * (1 - alphaProd / alphaProdPrev)
        let std = Float(eta) * variance.squareRoot()
        let direction = Swift.max(1 - alphaProdPrev - std * std, 0).squareRoot()
        let previousSample = alphaProdPrev.squareRoot() * original + direction * epsilon
        guard eta > 0 else { return previousSample }
        return previousSample + std * requireNoise(noise, sample, "DDIMSampler")
    }
}
