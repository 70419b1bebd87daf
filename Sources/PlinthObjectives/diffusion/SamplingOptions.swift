/// The reverse-process samplers `plinth generate` offers.
public enum SamplerKind: String, Codable, Sendable, CaseIterable {
    /// Ancestral sampling (Ho et al. 2020).
    case ddpm
    /// DDIM (Song et al. 2021), deterministic at eta 0.
    case ddim
}

/// How images are sampled: the sampler, its number of steps (any count up to
/// the schedule's), DDIM's eta, the classifier-free guidance scale w
/// (eps = eps_u + w (eps_c - eps_u); 1 is the conditional model alone, 0 the
/// unconditional one) and the seed of the starting noise.
public struct SamplingOptions: Sendable, Equatable {
    public static let defaultGuidance: Float = 3

    public var sampler: SamplerKind
    public var steps: Int
    public var eta: Double
    public var guidance: Float
    public var seed: UInt64

    public init(sampler: SamplerKind = .ddpm, steps: Int = 50, eta: Double = 0, guidance: Float = defaultGuidance, seed: UInt64 = 0) {
        (self.sampler, self.steps, self.eta, self.guidance, self.seed) = (sampler, steps, eta, guidance, seed)
    }

    /// Why these options cannot run on `schedule`, or nil.
    public func problem(on schedule: NoiseSchedule) -> String? {
        if steps < 1 || steps > schedule.steps { return "steps must be in 1...\(schedule.steps), got \(steps)" }
        if eta < 0 { return "eta must be >= 0, got \(eta)" }
        if !guidance.isFinite || guidance < 0 { return "guidance must be >= 0, got \(guidance)" }
        return nil
    }

    /// The sampler for a denoiser with this schedule and prediction target.
    public func makeSampler(schedule: NoiseSchedule, prediction: Prediction) -> any DiffusionSampler {
        switch sampler {
        case .ddpm: DDPMSampler(schedule: schedule, inferenceSteps: steps, prediction: prediction)
        case .ddim: DDIMSampler(schedule: schedule, inferenceSteps: steps, eta: eta, prediction: prediction)
        }
    }
}
