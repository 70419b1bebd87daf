import PlinthData
import PlinthNN
import PlinthObjectives

/// A DiT denoiser trained on the recipe's images (DDPM), conditioned on the
/// model's joint embedding of other fields: with no contrastive pairs, the
/// diffusion loss alone trains; with them, their sum (the diffusion loss
/// times `weight`), so the backbone learns from both objectives. Whether the
/// model learns from it too is the recipe's choice: a locked `init` keeps it frozen.
///
/// ```yaml
/// diffusion:
///   conditions: [text]              # fields whose joint embedding conditions it (empty: unconditional)
///   denoiser: {image_size: 32, channels: 1, patch_size: 4, width: 192, layers: 6, heads: 6}
///   condition_dropout: 0.1          # rows trained unconditioned, for classifier-free guidance
///   ema_decay: 0.999                # the model file keeps the EMA weights
///   mix_conditions: false           # true: one denoiser pass, each row with one of the fields
/// ```
///
/// With several conditions, each row trains once per field it has (one denoiser
/// pass per field), or with `mix_conditions` once: row i with field i mod F
/// (F = number of fields), skipped when it lacks that field.
public struct DiffusionSection: Codable, Sendable {
    /// Fields whose embedding conditions the denoiser: text, image, audio, speech.
    public var conditions: [Field]
    public var denoiser: DenoiserConfig
    public var conditionDropout: Float
    public var emaDecay: Float
    public var weight: Float
    public var mixConditions: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case conditions, denoiser, conditionDropout = "condition_dropout", emaDecay = "ema_decay", weight
        case mixConditions = "mix_conditions"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditions = try c.decodeIfPresent([Field].self, forKey: .conditions) ?? []
        denoiser = try c.decode(DenoiserConfig.self, forKey: .denoiser)
        conditionDropout = try c.decodeIfPresent(Float.self, forKey: .conditionDropout) ?? 0.1
        emaDecay = try c.decodeIfPresent(Float.self, forKey: .emaDecay) ?? 0.999
        weight = try c.decodeIfPresent(Float.self, forKey: .weight) ?? 1
        mixConditions = try c.decodeIfPresent(Bool.self, forKey: .mixConditions) ?? false
    }
}

/// How `plinth eval` measures generation (Fashion-MNIST style labelled data):
/// `per_class` samples for each label name, prompted with `template` (or, for
/// another condition field, conditioned on the split's distinct recordings of
/// that class in turn), are labelled by the zero-shot classifier of the
/// `classifier` model file; the report gives the fraction that match the
/// prompted class and the Fréchet distance between the classifier's image
/// features of the samples and of as many real test images, once per
/// condition field and guidance scale.
///
/// ```yaml
/// eval: {generation: {classifier: runs/fashion-mnist/final/model.safetensors, per_class: 100,
///                     template: "a photo of a {}.", guidance: [0, 3], sampler: ddpm, steps: 50,
///                     conditions: [text, speech]}}
/// ```
public struct GenerationEvalSection: Codable, Sendable {
    public var classifier: String
    public var perClass: Int
    public var template: String
    public var guidance: [Float]
    public var sampler: SamplerKind
    public var steps: Int
    public var seed: UInt64
    public var conditions: [Field]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case classifier, perClass = "per_class", template, guidance, sampler, steps, seed, conditions
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        classifier = try c.decode(String.self, forKey: .classifier)
        perClass = try c.decodeIfPresent(Int.self, forKey: .perClass) ?? 100
        template = try c.decodeIfPresent(String.self, forKey: .template) ?? "a photo of a {}."
        guidance = try c.decodeIfPresent([Float].self, forKey: .guidance) ?? [0, SamplingOptions.defaultGuidance]
        sampler = try c.decodeIfPresent(SamplerKind.self, forKey: .sampler) ?? .ddpm
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 50
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        conditions = try c.decodeIfPresent([Field].self, forKey: .conditions) ?? [.text]
    }
}
