import PlinthNN

/// Runs a sampler from pure noise: x_T ~ N(0, I) of `shape` from `generator`, then for each visited timestep
/// `x = sampler.step(model(x, t), ...)` with fresh N(0, I) noise from `generator` when stochastic. Runs with no tape.
///
/// Draw order: x_T first, then (when `sampler.isStochastic`) one noise tensor of `shape` per step,
/// drawn after the model call, at every step including those that ignore it, so the same seed gives
/// the same trajectory. `model` gets the current sample [shape] and the integer training timestep
/// and returns its prediction (ε or v, as the sampler expects) of the same shape. Returns x0 [shape].
public func sampleDiffusion(_ sampler: any DiffusionSampler, shape: [Int], generator: RandomGenerator,
                            model: (_ sample: Tensor, _ timestep: Int) -> Tensor) -> Tensor {
    withNoGrad {
        var x = Tensor.randn(shape, generator: generator)
        for (index, t) in sampler.timesteps.enumerated() {
            let output = model(x, t)
            let noise = sampler.isStochastic ? Tensor.randn(shape, generator: generator) : nil
            x = sampler.step(output, index: index, sample: x, noise: noise)
        }
        return x
    }
}

/// Classifier-free guidance (Ho & Salimans 2022): eps_u + w * (eps_c - eps_u).
///
/// conditional, unconditional [B, ...] (the same shape) -> [B, ...]. Evaluated as
/// w · eps_c + (1 - w) · eps_u, the same value, which is exactly eps_c at w = 1 and eps_u at w = 0.
/// Differentiable in both inputs.
public func classifierFreeGuidance(conditional: Tensor, unconditional: Tensor, scale: Float) -> Tensor {
    precondition(conditional.shape == unconditional.shape,
                 "classifierFreeGuidance: conditional \(conditional.shape) and unconditional \(unconditional.shape) differ")
    return scale * conditional + (1 - scale) * unconditional
}
