import PlinthNN

// Legend: B batch, C channels, S image side, E condition width.

/// The denoising objective of DDPM (Ho et al. 2020) with condition dropout for
/// classifier-free guidance (Ho & Salimans 2022): for clean images x0
/// [B, C, S, S] in [-1, 1], each row draws t ~ U{0, ..., T-1} and ε ~ N(0, I);
/// the denoiser sees x_t = √ᾱ_t x0 + √(1-ᾱ_t) ε with its condition [B, E]
/// dropped (swapped for the null condition) with probability
/// `conditionDropout`, and the loss is the mean squared error against ε, or
/// against v = √ᾱ_t ε - √(1-ᾱ_t) x0 for v prediction. All draws come from `generator`.
public func diffusionLoss(_ denoiser: Denoiser, schedule: NoiseSchedule, images x0: Tensor, condition: Tensor?,
                          conditionDropout: Float, generator: RandomGenerator) -> Tensor {
    let b = x0.shape[0]
    let timesteps = (0..<b).map { _ in generator.nextInt(below: schedule.steps) }
    let noise = Tensor.randn(x0.shape, generator: generator)
    let keep = (0..<b).map { _ in generator.nextFloat() < conditionDropout ? Float(0) : 1 }
    let noisy = schedule.addNoise(x0, noise: noise, timesteps: timesteps)
    let prediction = denoiser(noisy, timesteps: timesteps, condition: condition, keep: condition == nil ? nil : keep)
    let target = schedule.target(denoiser.config.prediction, x0: x0, noise: noise, timesteps: timesteps)
    return Tensor.mseLoss(prediction, target)
}
