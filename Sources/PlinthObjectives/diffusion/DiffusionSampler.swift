import PlinthNN

/// A reverse-process sampler: the timesteps it visits (high to low) and one update.
///
/// A loop starts from x ~ N(0, I) and, for each `index` in `timesteps.indices`, replaces x with
/// `step(model(x, timesteps[index]), index: index, sample: x, noise: ...)`; after the last index x is
/// the generated x0 (see `sampleDiffusion`). Samples have any shape [B, ...]; the model output and
/// the noise have the sample's shape.
public protocol DiffusionSampler {
    /// The training timesteps visited, in decreasing order, ending at 0 for the leading spacing.
    var timesteps: [Int] { get }
    /// Whether `step` needs fresh noise (DDPM; DDIM when eta > 0).
    var isStochastic: Bool { get }
    /// x_t at `timesteps[index]` and the model output there -> x at the next visited timestep (or x0 after the last).
    /// `noise` (same shape as sample) is required when `isStochastic`.
    func step(_ modelOutput: Tensor, index: Int, sample: Tensor, noise: Tensor?) -> Tensor
}

/// diffusers' "leading" timestep spacing with steps_offset 0: k · (T / n) for k = n-1, ..., 0
/// (integer division), e.g. T = 1000, n = 3 -> [666, 333, 0].
func leadingTimesteps(trainSteps: Int, inferenceSteps: Int, _ name: String) -> [Int] {
    precondition(inferenceSteps >= 1 && inferenceSteps <= trainSteps,
                 "\(name): inferenceSteps must be in 1...\(trainSteps), got \(inferenceSteps)")
    let ratio = trainSteps / inferenceSteps
    return (0..<inferenceSteps).reversed().map { $0 * ratio }
}

/// Checks the arguments every sampler's `step` receives.
func checkStep(_ name: String, _ modelOutput: Tensor, index: Int, sample: Tensor, count: Int) {
    precondition(index >= 0 && index < count, "\(name).step: index \(index) outside 0..<\(count)")
    precondition(modelOutput.shape == sample.shape,
                 "\(name).step: model output \(modelOutput.shape) and sample \(sample.shape) differ")
}

/// The noise a stochastic step needs, checked against the sample's shape.
func requireNoise(_ noise: Tensor?, _ sample: Tensor, _ name: String) -> Tensor {
    guard let noise else { preconditionFailure("\(name).step: this step adds noise but none was passed") }
    precondition(noise.shape == sample.shape, "\(name).step: noise \(noise.shape) and sample \(sample.shape) differ")
    return noise
}

/// What a DDPM or DDIM step starts from: ᾱ at `t` and at `previous` (1 when
/// `previous` is negative, past the last step) and the predicted clean sample,
/// clipped to [-1, 1] when `clip`.
func stepStart(_ schedule: NoiseSchedule, _ prediction: Prediction, t: Int, previous: Int, modelOutput: Tensor,
               sample: Tensor, clip: Bool) -> (alphaProd: Float, alphaProdPrev: Float, original: Tensor) {
    let alphaProd = schedule.alphaCumprod(t)
    let alphaProdPrev: Float = previous >= 0 ? schedule.alphaCumprod(previous) : 1
    let original = prediction.predictedOriginal(modelOutput, sample: sample, alphaCumprod: alphaProd)
    return (alphaProd, alphaProdPrev, clip ? original.clamp(min: -1, max: 1) : original)
}
