import Foundation
import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN
import PlinthObjectives

// Legend: n examples, B prompts per step, m negative prompts, E joint width, D text width, K vectors, V vocabulary.

/// What `Personalizer.learn` trains toward.
public enum PersonalizationObjective: String, Codable, Sendable, CaseIterable {
    /// The denoiser's loss on the examples, conditioned on prompts with the token (Gal et al. 2022): for generation.
    case diffusion
    /// The examples' embeddings against prompts with the token, the initializer
    /// word's prompts as negatives (PALAVRA, Cohen et al. 2022): for retrieval.
    case contrastive
}

/// How a token is learned. Defaults follow Gal et al. (lr 5e-3, one vector) and PALAVRA (temperature 0.25).
public struct PersonalizationOptions: Sendable {
    /// diffusers' `imagenet_templates_small`, used for images.
    public static let imageTemplates = [
        "a photo of a {}", "a rendering of a {}", "a cropped photo of the {}", "the photo of a {}", "a photo of a clean {}",
        "a photo of a dirty {}", "a dark photo of the {}", "a photo of my {}", "a photo of the cool {}",
        "a close-up photo of a {}", "a bright photo of the {}", "a cropped photo of a {}", "a photo of the {}",
        "a good photo of the {}", "a photo of one {}", "a close-up photo of the {}", "a rendition of the {}",
        "a photo of the clean {}", "a rendition of a {}", "a photo of a nice {}", "a good photo of a {}",
        "a photo of the nice {}", "a photo of the small {}", "a photo of the weird {}", "a photo of the large {}",
        "a photo of a cool {}", "a photo of a small {}",
    ]
    public static let soundTemplates = ["{}", "a {}", "the sound of a {}", "a sound of the {}", "the {} makes a sound"]

    public var objective: PersonalizationObjective
    public var token: String
    public var initWord: String
    public var vectors: Int
    public var steps: Int
    public var learningRate: Float
    /// Prompts per step (and, for diffusion, noised examples per step).
    public var batchSize: Int
    /// Prompt templates with `{}` for the token (default: by the examples' field).
    public var templates: [String]?
    /// Contrastive negatives besides the initializer word: other coarse names.
    public var negatives: [String]
    public var temperature: Float
    public var seed: UInt64

    public init(objective: PersonalizationObjective, token: String, initWord: String, vectors: Int = 1, steps: Int = 300,
                learningRate: Float = 5e-3, batchSize: Int = 8, templates: [String]? = nil, negatives: [String] = [],
                temperature: Float = 0.25, seed: UInt64 = 0) {
        (self.objective, self.token, self.initWord, self.vectors, self.steps) = (objective, token, initWord, vectors, steps)
        (self.learningRate, self.batchSize, self.templates, self.negatives, self.temperature, self.seed) =
            (learningRate, batchSize, templates, negatives, temperature, seed)
    }
}

/// Textual inversion: learns K new token vectors for a concept from a few
/// examples while the model (and the denoiser) stay frozen. The token
/// embedding table trains as a whole and every row but the new ones is
/// restored after each step, as diffusers' textual_inversion.py does; the new
/// rows start from the mean embedding of the initializer word's tokens.
public final class Personalizer {
    public let whole: ModelWithHeads
    public let inputs: ModelInputs

    public init(modelFile url: URL) throws {
        whole = try ModelFile.loadWithHeads(url)
        inputs = try ModelInputs(card: whole.card, directory: url.deletingLastPathComponent())
    }

    /// Learns `options.token` from one field of `examples` (images for either
    /// objective; sounds or spoken clips for the contrastive one). `progress`
    /// gets each step and its loss. Errors come before anything changes; after that the
    /// loaded model is frozen and holds the new rows, so learn once per `Personalizer`.
    public func learn(examples: [ManifestRecord], field: Field, options o: PersonalizationOptions,
                      progress: ((Int, Float) -> Void)? = nil) throws -> LearnedEmbeddings {
        let model = whole.model
        guard let text = model.text, let tokenizer = inputs.tokenizer as? CLIPTokenizer else {
            throw PersonalizationError("the model needs a CLIP-style text tower with a BPE tokenizer (a BERT tower takes no new tokens)")
        }
        guard field != .text else { throw PersonalizationError("examples are images, sounds or spoken clips, not text") }
        guard !examples.isEmpty else { throw PersonalizationError("no examples") }
        guard o.steps > 0 && o.batchSize > 0 && o.learningRate > 0 else {
            throw PersonalizationError("steps, batch size and learning rate must be positive")
        }
        if let missing = inputs.missingPreset(for: field) { throw PersonalizationError(missing) }
        let denoiser = whole.diffusion
        if o.objective == .diffusion {
            guard denoiser != nil else { throw PersonalizationError("the diffusion objective needs a model file with a denoiser") }
            guard field == .image else { throw PersonalizationError("the diffusion objective learns from images; use contrastive for sounds") }
        }
        let templates = o.templates ?? (field == .image ? PersonalizationOptions.imageTemplates : PersonalizationOptions.soundTemplates)
        guard !templates.isEmpty, templates.allSatisfy({ $0.contains("{}") }) else {
            throw PersonalizationError("every template needs {} for the token")
        }

        let loader = try inputs.evaluationLoader(records: examples, field: field, batchSize: examples.count)
        guard let batch = try loader.batches(epoch: 0).next() else { throw PersonalizationError("no examples could be loaded") }
        let initial = try tokenizer.encode(o.initWord)
        guard !initial.isEmpty else { throw PersonalizationError("the initializer word '\(o.initWord)' has no tokens") }
        let personal = try tokenizer.adding(o.token, count: o.vectors)
        let start = withNoGrad {
            text.tokenEmbedding.weight.indexSelect(dim: 0, indices: initial).mean(dim: 0, keepdim: true)   // [1, D]
                .expand([o.vectors, text.config.width]).contiguous()
        }
        model.freeze()
        denoiser?.freeze()
        let vocabulary = text.config.vocabSize
        let ids = model.appendTextTokens(start)
        let table = text.tokenEmbedding.weight                                                            // [V+K, D]
        table.requiresGrad = true
        let kept = table.narrow(0, 0, vocabulary).copy()
        model.eval()
        denoiser?.eval()

        let generator = RandomGenerator(seed: o.seed)
        let optimizer = AdamW([ParameterGroup([("token_embedding.weight", table)], weightDecay: 0)], learningRate: o.learningRate)
        func prompts(_ word: String, _ picked: [String]) throws -> [Int] {
            try personal.tokenizeBatch(picked.map { $0.replacingOccurrences(of: "{}", with: word) }).ids.flatMap { $0 }
        }
        func randomTemplates() -> [String] { (0..<o.batchSize).map { _ in templates[generator.nextInt(below: templates.count)] } }

        let loss: () throws -> Tensor
        switch o.objective {
        case .diffusion:
            guard let denoiser, let images = batch.image, let preset = inputs.imagePreset else {
                preconditionFailure("Personalizer: checked above, the diffusion objective has a denoiser, images and their preset")
            }
            let x0 = withNoGrad { denoiser.pixels(images, preset: preset) }                              // [n, C, S, S]
            let schedule = denoiser.config.noiseSchedule
            loss = {
                let picked = (0..<o.batchSize).map { _ in generator.nextInt(below: examples.count) }
                let embeddings = model.encode(text: try prompts(o.token, randomTemplates()), batch: o.batchSize)
                return diffusionLoss(denoiser, schedule: schedule, images: x0.indexSelect(dim: 0, indices: picked),
                                     condition: Denoiser.condition(embeddings: embeddings), conditionDropout: 0,
                                     generator: generator)
            }
        case .contrastive:
            let x = withNoGrad { model.embed(field, of: batch)!.l2Normalized() }                      // [n, E]
            let words = [o.initWord] + o.negatives
            let negatives = try withNoGrad {
                model.encode(text: try words.flatMap { try prompts($0, templates) }, batch: words.count * templates.count)
                    .l2Normalized()
            }                                                                                          // [m, E]
            let n = examples.count, m = negatives.shape[0], scale = 1 / o.temperature
            let against = Tensor.matmul(x, negatives.T)                                                // [n, m]
            loss = {
                let t = model.encode(text: try prompts(o.token, randomTemplates()), batch: o.batchSize).l2Normalized()  // [B, E]
                let positive = Tensor.matmul(x, t.T).reshape([n * o.batchSize, 1])                     // [nB, 1]
                let negative = against.unsqueeze(1).expand([n, o.batchSize, m]).reshape([n * o.batchSize, m])
                let logits = Tensor.concat([positive, negative], dim: 1) * scale                       // [nB, 1+m]
                return Tensor.crossEntropy(logits, targets: [Int](repeating: 0, count: n * o.batchSize))
            }
        }

        for step in 1...o.steps {
            optimizer.zeroGrad()
            let value = try loss()
            value.backward()
            optimizer.step()
            withNoGrad { table.narrow(0, 0, vocabulary).assign(kept) }
            progress?(step, value.item())
        }
        let vectors = table.narrow(0, ids.lowerBound, o.vectors).copy()
        return LearnedEmbeddings(entries: [.init(token: o.token, vectors: vectors)],
                                 metadata: ["model": whole.card.name, "init_word": o.initWord, "objective": o.objective.rawValue,
                                            "steps": String(o.steps), "examples": String(examples.count)])
    }
}
