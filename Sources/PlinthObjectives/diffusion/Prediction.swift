import PlinthNN

/// What the denoiser predicts.
///
/// `.epsilon` is the added noise ε (Ho et al. 2020); `.v` is v = sqrt(ᾱ_t) ε - sqrt(1 - ᾱ_t) x0
/// (Salimans & Ho 2022; diffusers' "v_prediction").
public enum Prediction: String, Codable, Sendable { case epsilon, v }

extension NoiseSchedule {
    /// The training target for `prediction`: ε, or v. x0, noise [B, ...], timesteps.count == B -> [B, ...].
    public func target(_ prediction: Prediction, x0: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        switch prediction {
        case .epsilon:
            precondition(x0.shape == noise.shape, "NoiseSchedule.target: x0 \(x0.shape) and noise \(noise.shape) differ")
            precondition(x0.rank >= 1 && timesteps.count == x0.shape[0],
                         "NoiseSchedule.target: \(timesteps.count) timesteps for a batch of shape \(x0.shape)")
            return noise
        case .v:
            return velocity(x0, noise: noise, timesteps: timesteps)
        }
    }
}

extension Prediction {
    // Both conversions follow diffusers' expressions term by term, in Float32 (`a` = ᾱ_t).

    /// The predicted clean sample x̂0 from the model output at x_t:
    /// ε: (x_t - sqrt(1 - ᾱ) ε̂) / sqrt(ᾱ); v: sqrt(ᾱ) x_t - sqrt(1 - ᾱ) v̂.
    func predictedOriginal(_ modelOutput: Tensor, sample: Tensor, alphaCumprod a: Float) -> Tensor {
        switch self {
        case .epsilon: return (sample - (1 - a).squareRoot() * modelOutput) / Tensor(scalar: a.squareRoot())
        case .v: return a.squareRoot() * sample - (1 - a).squareRoot() * modelOutput
        }
    }

    /// The predicted noise ε̂ from the model output at x_t: ε: the output itself; v: sqrt(ᾱ) v̂ + sqrt(1 - ᾱ) x_t.
    func predictedNoise(_ modelOutput: Tensor, sample: Tensor, alphaCumprod a: Float) -> Tensor {
        switch self {
        case .epsilon: return modelOutput
        case .v: return a.squareRoot() * modelOutput + (1 - a).squareRoot() * sample
        }
    }
}
