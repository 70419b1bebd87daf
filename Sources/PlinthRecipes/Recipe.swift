import Foundation
import PlinthData
import PlinthModels
import PlinthNN
import PlinthObjectives
import Yams

/// A training recipe (recipes/*.yaml): the model, the data, the objective,
/// the optimizer schedule and what to evaluate. Unknown keys are errors.
///
/// ```yaml
/// name: fashion-mnist
/// model: {embed_dim: 128, shared: {...}, vision: {...}, text: {...}}
/// data: {dataset: fashion-mnist, image: small, text: small, templates: ["a photo of a {}."]}
/// objective: {pairs: [{a: image, b: text, weight: 1}]}
/// train: {batch_size: 256, epochs: 4, learning_rate: 0.001, warmup_steps: 200}
/// eval: {split: test, zero_shot: {field: image, templates: ["a photo of a {}."]}, retrieval: [[image, text]]}
/// ```
///
/// Optional: `init` (start parts from a pretrained file, possibly locked),
/// `lora` (train adapters only: `{rank: 8, alpha: 16, targets: [attn.in_proj, mlp.c_fc]}`)
/// `caption` (train a caption head, with or without contrastive pairs; see `CaptionSection`)
/// `diffusion` (train an image denoiser, likewise; see `DiffusionSection`),
/// `policy` (behaviour-clone an action head on demonstrations, instead of the other objectives; see `PolicySection`)
/// and `distributed` (data-parallel settings; see `DistributedSection`).
public struct Recipe: Codable, Sendable {
    public var name: String
    public var description: String?
    public var model: ModelConfig
    /// Parts of the model taken (and possibly locked) from a pretrained file.
    public var initialization: InitSection?
    /// Train low-rank adapters on a frozen model instead of its weights (Hu et al. 2021).
    public var lora: LoRAConfig?
    public var data: DataSection
    public var objective: ObjectiveSection
    public var caption: CaptionSection?
    public var diffusion: DiffusionSection?
    public var policy: PolicySection?
    public var train: TrainSection
    public var distributed: DistributedSection
    public var eval: EvalSection

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, description, model, initialization = "init", lora, data, objective, caption, diffusion, policy, train, distributed, eval
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        model = try c.decode(ModelConfig.self, forKey: .model)
        initialization = try c.decodeIfPresent(InitSection.self, forKey: .initialization)
        lora = try c.decodeIfPresent(LoRAConfig.self, forKey: .lora)
        data = try c.decode(DataSection.self, forKey: .data)
        objective = try c.decodeIfPresent(ObjectiveSection.self, forKey: .objective) ?? ObjectiveSection(pairs: [])
        caption = try c.decodeIfPresent(CaptionSection.self, forKey: .caption)
        diffusion = try c.decodeIfPresent(DiffusionSection.self, forKey: .diffusion)
        policy = try c.decodeIfPresent(PolicySection.self, forKey: .policy)
        train = try c.decode(TrainSection.self, forKey: .train)
        distributed = try c.decodeIfPresent(DistributedSection.self, forKey: .distributed) ?? DistributedSection()
        eval = try c.decodeIfPresent(EvalSection.self, forKey: .eval) ?? EvalSection()
    }

    /// Reads and checks a recipe; errors name the file and the field path.
    public static func load(contentsOf url: URL) throws -> (recipe: Recipe, text: String) {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw RecipeError(file: url.path, field: "", message: "cannot read: \(error.localizedDescription)")
        }
        return (try parse(text, file: url.path), text)
    }

    /// Parses recipe YAML; `file` names the source in errors.
    public static func parse(_ text: String, file: String = "<recipe>") throws -> Recipe {
        let recipe: Recipe
        do { recipe = try YAMLDecoder().decode(Recipe.self, from: text) } catch let error as DecodingError {
            throw RecipeError(decoding: error, file: file)
        } catch {
            throw RecipeError(file: file, field: "", message: "\(error)")
        }
        do { try recipe.model.validate() } catch let error as ModelConfigError {
            throw RecipeError(file: file, field: "model.\(error.field)", message: error.message)
        }
        try recipe.validate(file: file)
        return recipe
    }

    func validate(file: String) throws {
        func check(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw RecipeError(file: file, field: field, message: message) }
        }
        try check(!objective.pairs.isEmpty || caption != nil || diffusion != nil || policy != nil, "objective.pairs",
                  "needs at least one pair (or a caption, diffusion or policy section)")
        try check(policy != nil || !data.dataset.isEmpty, "data.dataset", "names a dataset: \(Datasets.names.joined(separator: ", "))")
        if let policy {
            try check(data.dataset.isEmpty, "data.dataset", "a policy trains on its demonstrations; leave the dataset out")
            try check(objective.pairs.isEmpty && caption == nil && diffusion == nil, "policy",
                      "trains on demonstrations alone: remove objective.pairs, caption and diffusion")
            try check(ControlTasks.names.contains(policy.task), "policy.task",
                      "'\(policy.task)' is not a task; valid: \(ControlTasks.names.joined(separator: ", "))")
            try check((1...1_000_000).contains(policy.episodes), "policy.episodes", "must be in 1...1000000")
            try check(policy.noise >= 0 && policy.noise <= 2, "policy.noise", "must be in 0...2")
            try check(model.vision != nil && model.shared.layers > 0 && data.image != nil, "policy",
                      "needs a vision tower, shared blocks (model.shared.layers > 0) and data.image")
            try check(model.has(.text) && data.text != nil, "policy", "reads instructions: needs a text tower and data.text")
            try check((0..<(model.vision?.imageSize ?? 0) / 2).contains(policy.shift), "policy.shift",
                      "must be in 0..<\((model.vision?.imageSize ?? 0) / 2)")
            do { try policy.config(stateDimension: 1, actionDimension: 1).validate() } catch let error as ModelConfigError {
                throw RecipeError(file: file, field: "policy.\(error.field)", message: error.message)
            }
        }
        try check(!data.optionalFields.contains(.text), "data.optional_fields", "text cannot be optional")
        for (i, pair) in objective.pairs.enumerated() {
            try check(!(data.optionalFields.contains(pair.a) && data.optionalFields.contains(pair.b)),
                      "objective.pairs.\(i)", "at most one side of a pair may be an optional field")
        }
        for (i, pair) in objective.pairs.enumerated() {
            try check(pair.a != pair.b, "objective.pairs.\(i)", "pairs two different fields, got \(pair.a.rawValue) twice")
            for field in [pair.a, pair.b] {
                try check(model.has(field.modality), "objective.pairs.\(i)",
                          "field '\(field.rawValue)' needs a \(field.modality.rawValue) tower in the model")
            }
        }
        if let caption {
            try check(!caption.fields.isEmpty, "caption.fields", "names at least one field to caption")
            for (i, field) in caption.fields.enumerated() {
                try check(field != .text, "caption.fields.\(i)", "captions image, audio or speech, not text")
                try check(model.has(field.modality), "caption.fields.\(i)",
                          "field '\(field.rawValue)' needs a \(field.modality.rawValue) tower in the model")
            }
            try check(caption.text ?? data.text != nil, "caption.text", "names the decoder's text preset (or give data.text)")
            do { try caption.head.validate(on: model) } catch let error as ModelConfigError {
                throw RecipeError(file: file, field: "caption.head.\(error.field)", message: error.message)
            }
        }
        if let diffusion {
            try check(model.vision != nil && data.image != nil, "diffusion", "generates images: the model needs a vision tower and data.image a preset")
            for (i, field) in diffusion.conditions.enumerated() {
                try check(model.has(field.modality), "diffusion.conditions.\(i)",
                          "field '\(field.rawValue)' needs a \(field.modality.rawValue) tower in the model")
            }
            try check(Set(diffusion.conditions).count == diffusion.conditions.count, "diffusion.conditions", "names a field twice")
            try check((0...1).contains(diffusion.conditionDropout), "diffusion.condition_dropout", "must be in 0...1")
            try check(diffusion.emaDecay >= 0 && diffusion.emaDecay < 1, "diffusion.ema_decay", "must be in [0, 1)")
            do { try diffusion.denoiser.validate() } catch let error as ModelConfigError {
                throw RecipeError(file: file, field: "diffusion.denoiser.\(error.field)", message: error.message)
            }
            try check(diffusion.denoiser.imageSize == model.vision?.imageSize, "diffusion.denoiser.image_size",
                      "is \(diffusion.denoiser.imageSize) but the model's images are \(model.vision?.imageSize ?? 0)")
        }
        try check(train.batchSize > 0 && train.batchSize % train.accumulation == 0, "train.batch_size",
                  "\(train.batchSize) must be a positive multiple of train.accumulation \(train.accumulation)")
        try check(distributed.bucketMB > 0, "distributed.bucket_mb", "must be positive")
        try check((train.epochs ?? 0) > 0 || (train.steps ?? 0) > 0, "train.epochs", "give train.epochs or train.steps")
        try check(train.warmupSteps >= 0, "train.warmup_steps", "must be >= 0")
        if let z = eval.zeroShot {
            try check(z.templates.allSatisfy { $0.contains("{}") }, "eval.zero_shot.templates", "every template needs {}")
        }
        for (i, pair) in eval.retrieval.enumerated() {
            try check(pair.count == 2, "eval.retrieval.\(i)", "names two fields, e.g. [image, text]")
        }
    }

    /// Data fields the objective reads.
    public var trainingFields: Set<Field> {
        if policy != nil { return [.image, .text] }
        return Set(objective.pairs.flatMap { [$0.a, $0.b] } + (caption.map { $0.fields + [.text] } ?? [])
            + (diffusion.map { $0.conditions + [.image] } ?? []))
    }

    /// Fields every training record must have.
    public var requiredFields: Set<Field> { trainingFields.subtracting(data.optionalFields) }
}

extension ModelConfig {
    func has(_ modality: Modality) -> Bool {
        switch modality {
        case .image: vision != nil
        case .audio: audio != nil
        case .text: text != nil || bert != nil
        }
    }
}

extension Field {
    /// The tower a data field goes through (sounds and speech both through audio).
    public var modality: Modality {
        switch self {
        case .image: .image
        case .audio, .speech: .audio
        case .text: .text
        }
    }
}

/// Which dataset, and the modality-card presets that preprocess it.
public struct DataSection: Codable, Sendable {
    /// A built-in dataset's name; empty (left out) when a `policy` section brings demonstrations.
    public var dataset: String
    public var image: String?
    public var audio: String?
    public var text: String?
    /// Train-time image augmentation (random resized crop and flip).
    public var augment: Bool
    /// Captions drawn from these templates with the label name, for labelled data.
    public var templates: [String]?
    /// At most this many training records (for quick variants).
    public var limit: Int?
    /// Fields some records lack (e.g. Tux Paint sounds); a pair with one counts only the items that have it.
    public var optionalFields: Set<Field>
    /// Label names left out of training, so evaluation can measure them as unseen classes.
    public var heldOutLabels: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, image, audio, text, augment, templates, limit, optionalFields = "optional_fields"
        case heldOutLabels = "held_out_labels"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try c.decodeIfPresent(String.self, forKey: .dataset) ?? ""
        image = try c.decodeIfPresent(String.self, forKey: .image)
        audio = try c.decodeIfPresent(String.self, forKey: .audio)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        augment = try c.decodeIfPresent(Bool.self, forKey: .augment) ?? false
        templates = try c.decodeIfPresent([String].self, forKey: .templates)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        optionalFields = try c.decodeIfPresent(Set<Field>.self, forKey: .optionalFields) ?? []
        heldOutLabels = try c.decodeIfPresent([String].self, forKey: .heldOutLabels) ?? []
    }
}

/// Contrastive pairs, summed with weights (ImageBind-style binding).
public struct ObjectiveSection: Codable, Sendable {
    public struct Pair: Codable, Sendable {
        public var a: Field
        public var b: Field
        public var weight: Float

        public init(a: Field, b: Field, weight: Float = 1) { (self.a, self.b, self.weight) = (a, b, weight) }

        enum CodingKeys: String, CodingKey, CaseIterable { case a, b, weight }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            a = try c.decode(Field.self, forKey: .a)
            b = try c.decode(Field.self, forKey: .b)
            weight = try c.decodeIfPresent(Float.self, forKey: .weight) ?? 1
        }
    }

    public var pairs: [Pair]

    public init(pairs: [Pair]) { self.pairs = pairs }

    enum CodingKeys: String, CodingKey, CaseIterable { case pairs }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        pairs = try decoder.container(keyedBy: CodingKeys.self).decode([Pair].self, forKey: .pairs)
    }
}

/// Optimizer and schedule: AdamW with CLIP's defaults, warmup then cosine.
public struct TrainSection: Codable, Sendable {
    /// Items per optimizer step, split into `accumulation` micro-batches.
    public var batchSize: Int
    public var accumulation: Int
    public var epochs: Int?
    /// Overrides `epochs` when given.
    public var steps: Int?
    public var learningRate: Float
    public var warmupSteps: Int
    public var weightDecay: Float
    public var betas: [Float]
    public var eps: Float
    public var gradClip: Float?
    public var seed: UInt64
    public var workers: Int
    public var checkpointEvery: Int
    public var keepCheckpoints: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize = "batch_size", accumulation, epochs, steps, learningRate = "learning_rate"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", betas, eps, gradClip = "grad_clip", seed, workers
        case checkpointEvery = "checkpoint_every", keepCheckpoints = "keep_checkpoints"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        accumulation = try c.decodeIfPresent(Int.self, forKey: .accumulation) ?? 1
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        steps = try c.decodeIfPresent(Int.self, forKey: .steps)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? 0.2
        betas = try c.decodeIfPresent([Float].self, forKey: .betas) ?? [0.9, 0.98]
        eps = try c.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-6
        gradClip = try c.decodeIfPresent(Float.self, forKey: .gradClip)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? 1
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 500
        keepCheckpoints = try c.decodeIfPresent(Int.self, forKey: .keepCheckpoints) ?? 2
        guard betas.count == 2 else {
            throw DecodingError.dataCorruptedError(forKey: .betas, in: c, debugDescription: "betas needs two numbers")
        }
    }
}

/// What `plinth eval` measures, on which split.
public struct EvalSection: Codable, Sendable {
    public struct ZeroShot: Codable, Sendable {
        /// The field classified (image, audio or speech) against label names.
        public var field: Field
        public var templates: [String]

        enum CodingKeys: String, CodingKey, CaseIterable { case field, templates }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            field = try c.decode(Field.self, forKey: .field)
            templates = try c.decode([String].self, forKey: .templates)
        }
    }

    public var split: Split
    public var zeroShot: ZeroShot?
    /// Field pairs, each evaluated in both directions.
    public var retrieval: [[Field]]
    /// Caption decoding, for a recipe with a caption head (default: beam search, 3 beams).
    public var caption: CaptionEvalSection?
    /// Generation quality, for a recipe with a diffusion section.
    public var generation: GenerationEvalSection?
    /// Textual inversion on labelled data (`plinth eval` with a model file).
    public var personalization: PersonalizationEvalSection?
    /// At most this many evaluation records.
    public var limit: Int?

    enum CodingKeys: String, CodingKey, CaseIterable { case split, zeroShot = "zero_shot", retrieval, caption, generation, personalization, limit
    }

    init() { (split, zeroShot, retrieval, caption, generation, personalization, limit) = (.test, nil, [], nil, nil, nil, nil) }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        split = try c.decodeIfPresent(Split.self, forKey: .split) ?? .test
        zeroShot = try c.decodeIfPresent(ZeroShot.self, forKey: .zeroShot)
        retrieval = try c.decodeIfPresent([[Field]].self, forKey: .retrieval) ?? []
        caption = try c.decodeIfPresent(CaptionEvalSection.self, forKey: .caption)
        generation = try c.decodeIfPresent(GenerationEvalSection.self, forKey: .generation)
        personalization = try c.decodeIfPresent(PersonalizationEvalSection.self, forKey: .personalization)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }
}

/// A recipe that cannot run; names the file and the field path.
public struct RecipeError: Error, CustomStringConvertible {
    public let file: String
    public let field: String
    public let message: String

    public init(file: String, field: String, message: String) {
        (self.file, self.field, self.message) = (file, field, message)
    }

    init(decoding error: DecodingError, file: String) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            self.init(file: file, field: parent.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)",
                      message: "is missing")
        case .typeMismatch(let type, let context):
            self.init(file: file, field: path(context), message: "expected \(type): \(context.debugDescription)")
        case .valueNotFound(_, let context), .dataCorrupted(let context):
            self.init(file: file, field: path(context), message: context.debugDescription)
        @unknown default:
            self.init(file: file, field: "", message: "\(error)")
        }
    }

    public var description: String {
        field.isEmpty ? "recipe '\(file)': \(message)" : "recipe '\(file)': field '\(field)' \(message)"
    }
}
