import Foundation
import PlinthAdapters
import PlinthData
import PlinthNN
import PlinthObjectives

// Legend: K classes, M samples per guidance, R real images, E the classifier's joint width.

extension EvalReport {
    /// Class-conditional generation measured by another model (Fashion-MNIST
    /// style labelled data): its zero-shot classifier labels the samples, and
    /// the Fréchet distance compares its image features of the samples and of
    /// real images of the evaluation split.
    public struct Generation: Codable, Sendable {
        public struct AtGuidance: Codable, Sendable {
            /// The field the samples were conditioned on (text: the prompts).
            public var condition: Field
            public var guidance: Float
            /// Fraction of samples the classifier puts in the prompted class, overall and per class.
            public var classMatch: Double
            public var classMatchPerClass: [Double]
            public var frechetDistance: Double

            enum CodingKeys: String, CodingKey {
                case condition, guidance, classMatch = "class_match", classMatchPerClass = "class_match_per_class"
                case frechetDistance = "frechet_distance"
            }
        }

        public var classifier: String
        public var classes: [String]
        /// The classifier's zero-shot top-1 on the real images, and how many there were.
        public var classifierAccuracy: Double
        public var realCount: Int
        /// The Fréchet distance between two disjoint halves of the real images: the floor that sample sizes allow.
        public var realHalvesFrechetDistance: Double
        public var sampling: String
        public var perClass: Int
        public var results: [AtGuidance]
        public var secondsPerImage: Double

        enum CodingKeys: String, CodingKey {
            case classifier, classes, classifierAccuracy = "classifier_accuracy", realCount = "real_count"
            case realHalvesFrechetDistance = "real_halves_frechet_distance", sampling, perClass = "per_class", results
            case secondsPerImage = "seconds_per_image"
        }
    }
}

extension Evaluator {
    /// Samples `per_class` images per label name of the split at each guidance
    /// scale and measures them with the `classifier` model file (see `GenerationEvalSection`).
    /// `progress` receives the denoiser evaluations done and their total.
    public static func evaluateGeneration(_ recipe: Recipe, section g: GenerationEvalSection, generator: ImageGenerator,
                                          dataDirectory: URL, split: Split, limit: Int?,
                                          progress: ((Int, Int) -> Void)? = nil) throws -> EvalReport.Generation {
        let classifierModel = try Embedder(modelFile: Assets.resolve(g.classifier))
        guard let preset = classifierModel.inputs.imagePreset else {
            throw RecipeError(file: recipe.name, field: "eval.generation.classifier", message: "'\(g.classifier)' names no image preset")
        }
        let records = try recipe.records(split: split, fields: [.image], dataDirectory: dataDirectory, limit: limit)
            .filter { $0.label != nil && $0.labelName != nil }
        var names: [Int: String] = [:]
        for r in records { names[r.label!] = r.labelName! }
        guard let maxLabel = names.keys.max(), names.count == maxLabel + 1 else {
            throw RecipeError(file: recipe.name, field: "eval.generation", message: "needs labels 0..<K with label names in the \(split.rawValue) split")
        }
        let classes = (0...maxLabel).map { names[$0]! }
        let templates = recipe.eval.zeroShot?.templates ?? [g.template]
        let classifier = try ZeroShotClassifier(classNames: classes, templates: templates) { try classifierModel.embed(texts: $0) }

        let real = Array(records.prefix(g.perClass * classes.count))
        let realFeatures = try classifierModel.embed(records: real, field: .image)                   // [R, E]
        let realLogits = classifier.logits(realFeatures)
        let realStats = FeatureStatistics(features: realFeatures.toArray(), dimension: realFeatures.shape[1])
        let half = real.count / 2
        let halves = [realFeatures.narrow(0, 0, half), realFeatures.narrow(0, half, real.count - half)]
            .map { FeatureStatistics(features: $0.contiguous().toArray(), dimension: $0.shape[1]) }

        let count = classes.count * g.perClass
        let started = Date()
        var results: [EvalReport.Generation.AtGuidance] = []
        let perRun = generator.evaluations(count: count, options: SamplingOptions(steps: g.steps))
        // Guidance 0 ignores the condition, so its samples are the same for every field: sampled once.
        let unconditional = g.guidance.contains(0) ? 1 : 0
        let runs = g.conditions.count * (g.guidance.count - unconditional) + unconditional
        var done = 0
        for field in g.conditions {
            let conditions = try classConditions(field, classes: classes, records: records, section: g, generator: generator)
            for w in g.guidance {
                if w == 0, var same = results.first(where: { $0.guidance == 0 }) {
                    same.condition = field
                    results.append(same)
                    continue
                }
                let options = SamplingOptions(sampler: g.sampler, steps: g.steps, guidance: w, seed: g.seed)
                let images = try generator.generate(conditions: conditions, count: count, options: options) {
                    progress?(done * perRun + $0, perRun * runs)
                }                                                                                    // [M, C, S, S]
                done += 1
                let features = try withNoGrad {
                    try classifierModel.model.encode(images: ImageGenerator.modelInput(images, preset: preset)).l2Normalized()
                }                                                                                    // [M, E]
                let predicted = classifier.predict(features)
                var hits = [Int](repeating: 0, count: classes.count)
                for (row, p) in predicted.enumerated() where p == row % classes.count { hits[p] += 1 }
                results.append(.init(condition: field, guidance: w, classMatch: Double(hits.reduce(0, +)) / Double(count),
                                     classMatchPerClass: hits.map { Double($0) / Double(g.perClass) },
                                     frechetDistance: frechetDistance(
                                        FeatureStatistics(features: features.toArray(), dimension: features.shape[1]), realStats)))
            }
        }
        let seconds = Date().timeIntervalSince(started)
        return EvalReport.Generation(
            classifier: g.classifier, classes: classes,
            classifierAccuracy: ZeroShotClassifier.accuracy(predictionsLogits: realLogits, labels: real.map { $0.label! }),
            realCount: real.count, realHalvesFrechetDistance: frechetDistance(halves[0], halves[1]),
            sampling: "\(g.sampler.rawValue), \(g.steps) steps", perClass: g.perClass, results: results,
            secondsPerImage: seconds / Double(count * runs))
    }

    /// Conditions [V K, E] whose row i is of class i mod K: the prompts for text
    /// (V = 1); for another field, the V distinct files of that field that every
    /// class has in the split, file v of class k at row v K + k.
    static func classConditions(_ field: Field, classes: [String], records: [ManifestRecord],
                                section g: GenerationEvalSection, generator: ImageGenerator) throws -> Tensor {
        if field == .text {
            return try generator.conditions(prompts: classes.map { g.template.replacingOccurrences(of: "{}", with: $0) })
        }
        var files = [[ManifestRecord]](repeating: [], count: classes.count)
        var seen = Set<String>()
        for r in records {
            guard let path = r.value(field), seen.insert(path).inserted else { continue }
            files[r.label!].append(r)
        }
        let v = files.map(\.count).min() ?? 0
        guard v > 0 else {
            throw GenerationError("eval.generation.conditions: some classes have no \(field.rawValue) in the split")
        }
        return try generator.conditions(records: (0..<v).flatMap { i in files.map { $0[i] } }, field: field)
    }
}
