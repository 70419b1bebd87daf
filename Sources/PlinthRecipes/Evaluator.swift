import Foundation
import PlinthAdapters
import PlinthData
import PlinthNN

/// What `plinth eval` measured on one split, with chance levels beside each figure.
public struct EvalReport: Codable, Sendable {
    public struct ZeroShot: Codable, Sendable {
        public var field: String
        public var classes: Int
        public var count: Int
        public var top1: Double
        public var top5: Double
        public var chanceTop1: Double
        /// The classes the recipe held out of training, measured apart.
        public var unseen: Unseen?

        enum CodingKeys: String, CodingKey {
            case field, classes, count, top1, top5, chanceTop1 = "chance_top1", unseen
        }
    }

    /// Zero-shot accuracy on items of classes never seen in training: choosing
    /// among all classes, and among the unseen classes only; seen classes beside.
    public struct Unseen: Codable, Sendable {
        public var classes: [String]
        public var count: Int
        public var top1: Double
        public var chanceTop1: Double
        public var top1AmongUnseen: Double
        public var chanceAmongUnseen: Double
        /// Top-1 among all classes on the seen classes' items.
        public var seenTop1: Double

        enum CodingKeys: String, CodingKey {
            case classes, count, top1, chanceTop1 = "chance_top1", top1AmongUnseen = "top1_among_unseen"
            case chanceAmongUnseen = "chance_among_unseen", seenTop1 = "seen_top1"
        }
    }

    public struct Retrieval: Codable, Sendable {
        public var a: String
        public var b: String
        /// A items (queries of a -> b) and distinct B items (the candidates).
        public var countA: Int
        public var countB: Int
        public var aToB: RetrievalReport
        public var bToA: RetrievalReport
        public var chanceAToB: [Double]   // R@1, R@5, R@10 of a random ranking
        public var chanceBToA: [Double]

        enum CodingKeys: String, CodingKey {
            case a, b, countA = "count_a", countB = "count_b", aToB = "a_to_b", bToA = "b_to_a"
            case chanceAToB = "chance_a_to_b", chanceBToA = "chance_b_to_a"
        }
    }

    public var recipe: String
    public var split: String
    public var zeroShot: ZeroShot?
    public var retrieval: [Retrieval]
    public var captioning: [Captioning]
    public var generation: Generation?
    public var personalization: Personalization?

    enum CodingKeys: String, CodingKey {
        case recipe, split, zeroShot = "zero_shot", retrieval, captioning, generation, personalization
    }
}

/// Zero-shot classification and retrieval in every direction a recipe names.
public enum Evaluator {
    /// Classifier weights are the normalized mean of normalized template
    /// embeddings (CLIP); retrieval ranks by cosine, captions shared by several
    /// items counted once as candidates.
    /// With a `captioner` (a model with a caption head), the recipe's caption fields are captioned and scored too;
    /// with a `generator` (a model with a denoiser) and `eval.generation`, its samples are measured;
    /// with the `modelFile` they came from and `eval.personalization`, textual inversion is measured last.
    public static func evaluate(_ recipe: Recipe, embedder: Embedder, captioner: Captioner? = nil,
                                generator: ImageGenerator? = nil, modelFile: URL? = nil,
                                dataDirectory: URL = Datasets.defaultDirectory, split: Split? = nil, limit: Int? = nil,
                                progress: ((Int, Int) -> Void)? = nil, log: ((String) -> Void)? = nil) throws -> EvalReport {
        let split = split ?? recipe.eval.split
        let limit = limit ?? recipe.eval.limit
        var report = EvalReport(recipe: recipe.name, split: split.rawValue, zeroShot: nil, retrieval: [], captioning: [])
        if let generator, let section = recipe.eval.generation {
            report.generation = try evaluateGeneration(recipe, section: section, generator: generator,
                                                       dataDirectory: dataDirectory, split: split, limit: limit, progress: progress)
        }
        if let captioner {
            report.captioning = try evaluateCaptions(recipe, captioner: captioner, dataDirectory: dataDirectory, split: split,
                                                     limit: limit)
        }
        if let z = recipe.eval.zeroShot {
            let records = try recipe.records(split: split, fields: [z.field], dataDirectory: dataDirectory, limit: limit)
                .filter { $0.label != nil && $0.labelName != nil }
            var names: [Int: String] = [:]
            for r in records { names[r.label!] = r.labelName! }
            guard let maxLabel = names.keys.max(), names.count == maxLabel + 1 else {
                throw RecipeError(file: recipe.name, field: "eval.zero_shot", message: "needs labels 0..<C with label names in the \(split.rawValue) split")
            }
            let classNames = (0...maxLabel).map { names[$0]! }
            let classifier = try ZeroShotClassifier(classNames: classNames, templates: z.templates) { try embedder.embed(texts: $0) }
            let logits = classifier.logits(try embedder.embed(records: records, field: z.field))
            let labels = records.map { $0.label! }
            report.zeroShot = .init(field: z.field.rawValue, classes: classNames.count, count: records.count,
                                    top1: ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: labels, k: 1),
                                    top5: ZeroShotClassifier.accuracy(predictionsLogits: logits, labels: labels, k: 5),
                                    chanceTop1: 1 / Double(classNames.count))
            let unseen = classNames.indices.filter { recipe.data.heldOutLabels.contains(classNames[$0]) }
            if !unseen.isEmpty {
                report.zeroShot!.unseen = unseenAccuracy(logits, labels: labels, unseen: unseen, names: classNames)
            }
        }
        for pair in recipe.eval.retrieval {
            // Text goes on the B side, where shared captions become one candidate.
            let (a, b) = pair[0] == .text ? (pair[1], pair[0]) : (pair[0], pair[1])
            let records = try recipe.records(split: split, fields: [a, b], dataDirectory: dataDirectory, limit: limit)
            let embA = try embedder.embed(records: records, field: a)
            let embB: Tensor, positives: [Int]
            if b == .text {
                var index: [String: Int] = [:], texts: [String] = []
                positives = records.map { r in
                    let t = r.text ?? ""
                    if let i = index[t] { return i }
                    index[t] = texts.count
                    texts.append(t)
                    return texts.count - 1
                }
                embB = try embedder.embed(texts: texts)
            } else {
                positives = Array(records.indices)
                embB = try embedder.embed(records: records, field: b)
            }
            let paired = RetrievalMetrics.evaluate(embA, embB, positives: positives)
            var perB = [Int](repeating: 0, count: embB.shape[0])
            for p in positives { perB[p] += 1 }
            let ks = [1, 5, 10]
            report.retrieval.append(.init(
                a: a.rawValue, b: b.rawValue, countA: records.count, countB: embB.shape[0],
                aToB: paired.aToB, bToA: paired.bToA,
                chanceAToB: ks.map { chanceRecall(candidates: embB.shape[0], positives: [1], k: $0) },
                chanceBToA: ks.map { chanceRecall(candidates: records.count, positives: perB.filter { $0 > 0 }, k: $0) }))
        }
        if let modelFile, let section = recipe.eval.personalization {
            report.personalization = try evaluatePersonalization(recipe, section: section, modelFile: modelFile, embedder: embedder,
                                                                 generator: generator, dataDirectory: dataDirectory, progress: log)
        }
        return report
    }

    /// logits [N, C] -> accuracies on the unseen classes' items (and on the rest).
    static func unseenAccuracy(_ logits: Tensor, labels: [Int], unseen: [Int], names: [String]) -> EvalReport.Unseen {
        let c = logits.shape[1]
        let values = logits.contiguous().toArray()
        func best(_ row: Int, among columns: [Int]) -> Int {
            columns.max { values[row * c + $0] < values[row * c + $1] }!
        }
        let all = Array(0..<c)
        var (hits, hitsAmong, count, seenHits, seenCount) = (0, 0, 0, 0, 0)
        for (row, label) in labels.enumerated() {
            if unseen.contains(label) {
                count += 1
                if best(row, among: all) == label { hits += 1 }
                if best(row, among: unseen) == label { hitsAmong += 1 }
            } else {
                seenCount += 1
                if best(row, among: all) == label { seenHits += 1 }
            }
        }
        return EvalReport.Unseen(classes: unseen.map { names[$0] }, count: count,
                                 top1: Double(hits) / Double(max(count, 1)), chanceTop1: 1 / Double(c),
                                 top1AmongUnseen: Double(hitsAmong) / Double(max(count, 1)),
                                 chanceAmongUnseen: 1 / Double(unseen.count),
                                 seenTop1: Double(seenHits) / Double(max(seenCount, 1)))
    }

    /// Mean over queries of P(a positive is in the top k) under a uniformly random
    /// ranking of `candidates` items, a query having `positives[i]` correct ones.
    static func chanceRecall(candidates n: Int, positives: [Int], k: Int) -> Double {
        func none(_ p: Int) -> Double {   // C(n - p, k) / C(n, k)
            var q = 1.0
            for i in 0..<min(k, n) { q *= Double(max(n - p - i, 0)) / Double(n - i) }
            return q
        }
        return positives.reduce(0.0) { $0 + 1 - none($1) } / Double(max(positives.count, 1))
    }
}
