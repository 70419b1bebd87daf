import Foundation
import PlinthAdapters
import PlinthData
import PlinthNN
import PlinthObjectives

// Legend: P held-out examples of a concept, G distractors, S samples, E joint width.

/// How `plinth eval` measures textual inversion on labelled data: each
/// concept is a label, learned as a new token from `examples` training items
/// (its initializer a coarser word), then measured on held-out test items.
///
/// ```yaml
/// eval: {personalization: {concepts: [{label: sneaker, init_word: shoe}, {label: bag, init_word: purse}],
///                          examples: 5, steps: 300, held_out: 100, samples: 32}}
/// ```
public struct PersonalizationEvalSection: Codable, Sendable {
    public struct Concept: Codable, Sendable {
        public var label: String
        public var initWord: String

        enum CodingKeys: String, CodingKey, CaseIterable { case label, initWord = "init_word" }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            label = try c.decode(String.self, forKey: .label)
            initWord = try c.decode(String.self, forKey: .initWord)
        }
    }

    public var concepts: [Concept]
    public var examples: Int
    public var steps: Int
    /// Held-out items per concept, and distractors per other label.
    public var heldOut: Int
    /// Samples generated per prompt (with a denoiser and `eval.generation`'s classifier).
    public var samples: Int
    public var seed: UInt64

    enum CodingKeys: String, CodingKey, CaseIterable { case concepts, examples, steps, heldOut = "held_out", samples, seed }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        concepts = try c.decode([Concept].self, forKey: .concepts)
        examples = try c.decodeIfPresent(Int.self, forKey: .examples) ?? 5
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 300
        heldOut = try c.decodeIfPresent(Int.self, forKey: .heldOut) ?? 100
        samples = try c.decodeIfPresent(Int.self, forKey: .samples) ?? 32
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
    }
}

extension EvalReport {
    /// Textual inversion per concept: retrieval of its held-out items among
    /// distractors by "a photo of a <token>." (learned contrastively, PALAVRA)
    /// against "a photo of a <initializer>.", and, with a denoiser, samples of
    /// both prompts (the token learned through the denoiser, Gal et al.) compared
    /// with the held-out items in the classifier's feature space.
    public struct Personalization: Codable, Sendable {
        public struct Retrieval: Codable, Sendable {
            public var mrr: Double
            public var r1: Double
            public var r5: Double
        }

        public struct Generation: Codable, Sendable {
            /// Mean cosine between a sample's features and the held-out items' mean feature direction.
            public var similarity: Double
            /// Fraction of samples the classifier puts in the concept's label.
            public var classMatch: Double

            enum CodingKeys: String, CodingKey { case similarity, classMatch = "class_match" }
        }

        public struct Concept: Codable, Sendable {
            public var label: String
            public var initWord: String
            public var token: String
            public var heldOut: Int
            public var distractors: Int
            public var learned: Retrieval
            public var initializer: Retrieval
            public var generationLearned: Generation?
            public var generationInitializer: Generation?

            enum CodingKeys: String, CodingKey {
                case label, initWord = "init_word", token, heldOut = "held_out", distractors, learned, initializer
                case generationLearned = "generation_learned", generationInitializer = "generation_initializer"
            }
        }

        public var examples: Int
        public var steps: Int
        public var concepts: [Concept]
    }
}

extension Evaluator {
    /// Measures textual inversion on the model file at `modelFile` (see `PersonalizationEvalSection`).
    /// The embedder and generator must come from that file; tokens are installed into their model.
    public static func evaluatePersonalization(_ recipe: Recipe, section p: PersonalizationEvalSection, modelFile: URL,
                                               embedder: Embedder, generator: ImageGenerator?, dataDirectory: URL,
                                               progress: ((String) -> Void)? = nil) throws -> EvalReport.Personalization {
        let test = try recipe.records(split: .test, fields: [.image], dataDirectory: dataDirectory, limit: nil)
        let train = try recipe.records(split: .train, fields: [.image], dataDirectory: dataDirectory, limit: nil)
        var byLabel: [String: [ManifestRecord]] = [:]
        for r in test { if let name = r.labelName, byLabel[name, default: []].count < p.heldOut { byLabel[name, default: []].append(r) } }
        let labels = byLabel.keys.sorted()
        let gallery = labels.flatMap { byLabel[$0]! }
        let galleryFeatures = try embedder.embed(records: gallery, field: .image)                        // [N, E]
        let classifier = try generator.flatMap { _ in try recipe.eval.generation.map { try Embedder(modelFile: Assets.resolve($0.classifier)) } }
        let template = "a photo of a {}."
        func prompt(_ word: String) -> String { template.replacingOccurrences(of: "{}", with: word) }

        var current = embedder
        var concepts: [EvalReport.Personalization.Concept] = []
        for (c, concept) in p.concepts.enumerated() {
            guard let positives = byLabel[concept.label] else {
                throw RecipeError(file: recipe.name, field: "eval.personalization.concepts.\(c).label",
                                  message: "'\(concept.label)' is not a label of the test split (labels: \(labels.joined(separator: ", ")))")
            }
            let pool = train.filter { $0.labelName == concept.label }
            let order = RandomGenerator(seed: p.seed &+ UInt64(c)).permutation(pool.count)
            let examples = order.prefix(p.examples).map { pool[$0] }
            let token = "<" + concept.label.replacingOccurrences(of: " ", with: "-") + ">"
            let negatives = p.concepts.map(\.initWord).filter { $0 != concept.initWord }
            progress?("\(concept.label): learning \(token) (contrastive)")
            let contrastive = try Personalizer(modelFile: modelFile).learn(
                examples: examples, field: .image,
                options: PersonalizationOptions(objective: .contrastive, token: token, initWord: concept.initWord, steps: p.steps,
                                                negatives: negatives, seed: p.seed))
            current = try current.installing(contrastive)
            let queries = try current.embed(texts: [prompt(token), prompt(concept.initWord)])            // [2, E]
            let isPositive = gallery.map { $0.labelName == concept.label }
            let scores = Tensor.matmul(galleryFeatures, queries.T).contiguous().toArray()                // [N, 2]
            func retrieval(_ column: Int) -> EvalReport.Personalization.Retrieval {
                let distractors = gallery.indices.filter { !isPositive[$0] }.map { scores[$0 * 2 + column] }
                let ranks = gallery.indices.filter { isPositive[$0] }.map { i in
                    1 + distractors.filter { $0 > scores[i * 2 + column] }.count
                }
                let n = Double(ranks.count)
                return .init(mrr: ranks.reduce(0) { $0 + 1 / Double($1) } / n, r1: Double(ranks.filter { $0 <= 1 }.count) / n,
                             r5: Double(ranks.filter { $0 <= 5 }.count) / n)
            }
            var result = EvalReport.Personalization.Concept(
                label: concept.label, initWord: concept.initWord, token: token, heldOut: positives.count,
                distractors: gallery.count - positives.count, learned: retrieval(0), initializer: retrieval(1))

            if let generator, let classifier, let preset = classifier.inputs.imagePreset {
                let diffusionToken = "<" + concept.label.replacingOccurrences(of: " ", with: "-") + "-gen>"
                progress?("\(concept.label): learning \(diffusionToken) (diffusion)")
                let learned = try Personalizer(modelFile: modelFile).learn(
                    examples: examples, field: .image,
                    options: PersonalizationOptions(objective: .diffusion, token: diffusionToken, initWord: concept.initWord,
                                                    steps: p.steps, seed: p.seed))
                current = try current.installing(learned)
                let sampler = ImageGenerator(embedder: current, denoiser: generator.denoiser, section: generator.section)
                let target = try classifier.embed(records: positives, field: .image).mean(dim: 0).l2Normalized(dim: 0)  // [E]
                let zeroShot = try ZeroShotClassifier(classNames: labels, templates: [template]) { try classifier.embed(texts: $0) }
                func measure(_ word: String) throws -> EvalReport.Personalization.Generation {
                    progress?("\(concept.label): sampling \"\(prompt(word))\"")
                    let images = try sampler.generate(conditions: sampler.conditions(prompts: [prompt(word)]), count: p.samples,
                                                      options: SamplingOptions(seed: p.seed))
                    let features = try withNoGrad {
                        try classifier.model.encode(images: ImageGenerator.modelInput(images, preset: preset)).l2Normalized()
                    }                                                                                   // [S, E]
                    let similarity = Tensor.matmul(features, target.reshape([target.count, 1])).mean().item()
                    let label = labels.firstIndex(of: concept.label)!
                    let match = zeroShot.predict(features).filter { $0 == label }.count
                    return .init(similarity: Double(similarity), classMatch: Double(match) / Double(p.samples))
                }
                result.generationLearned = try measure(diffusionToken)
                result.generationInitializer = try measure(concept.initWord)
            }
            concepts.append(result)
        }
        return EvalReport.Personalization(examples: p.examples, steps: p.steps, concepts: concepts)
    }
}
