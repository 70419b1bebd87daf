import Foundation
import PlinthAdapters
import PlinthData

extension EvalReport {
    /// Caption quality on one field of the held-out split, beside a baseline
    /// that always answers the most frequent training caption.
    public struct Captioning: Codable, Sendable {
        public struct Scores: Codable, Sendable {
            /// BLEU-1..4 (pycocoevalcap's corpus BLEU).
            public var bleu: [Double]
            /// CIDEr-D (pycocoevalcap's Cider).
            public var cider: Double
        }

        public struct Example: Codable, Sendable {
            public var id: String
            public var caption: String
            public var logProbability: Double
            public var references: [String]

            enum CodingKeys: String, CodingKey { case id, caption, logProbability = "log_probability", references }
        }

        public var field: String
        public var count: Int
        public var decoding: String
        public var model: Scores
        public var baseline: Scores
        public var baselineCaption: String
        /// Captions decoded per second (the model's forward passes and the search; data loading included).
        public var captionsPerSecond: Double
        public var examples: [Example]

        enum CodingKeys: String, CodingKey {
            case field, count, decoding, model, baseline, baselineCaption = "baseline_caption"
            case captionsPerSecond = "captions_per_second", examples
        }
    }
}

extension Evaluator {
    /// Decodes every held-out item of each captioned field and scores the
    /// captions against the item's references (`examples` of them, spread evenly
    /// over the split, are kept for reading) (its text, or every template
    /// filled with its label name), after `CaptionNormalization`.
    public static func evaluateCaptions(_ recipe: Recipe, captioner: Captioner, dataDirectory: URL = Datasets.defaultDirectory,
                                        split: Split, limit: Int?, examples: Int = 8) throws -> [EvalReport.Captioning] {
        let decoding = recipe.eval.caption ?? CaptionEvalSection()
        let training = try recipe.records(split: .train, fields: [.text], dataDirectory: dataDirectory, limit: nil)
        var frequency: [String: Int] = [:]
        for r in training { for ref in references(r, recipe) { frequency[CaptionNormalization.normalize(ref), default: 0] += 1 } }
        let baseline = frequency.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
        var out: [EvalReport.Captioning] = []
        for field in captioner.section.fields {
            let records = try recipe.records(split: split, fields: [field], dataDirectory: dataDirectory, limit: limit)
            let started = Date()
            let captions = try captioner.caption(records: records, field: field, options: decoding.options)
            let seconds = Date().timeIntervalSince(started)
            let refs = records.map { references($0, recipe) }
            let normalizedRefs = refs.map { $0.map(CaptionNormalization.normalize) }
            func scores(_ candidates: [String]) throws -> EvalReport.Captioning.Scores {
                let corpus = try CaptionCorpus(candidates: candidates, references: normalizedRefs)
                return .init(bleu: BLEU.score(corpus).corpus, cider: CIDErD.score(corpus).corpus)
            }
            let shown = Array(stride(from: 0, to: records.count, by: max(1, records.count / max(examples, 1))).prefix(examples))
            out.append(.init(
                field: field.rawValue, count: records.count,
                decoding: decoding.beams > 1 ? "beam search, \(decoding.beams) beams" : "greedy",
                model: try scores(captions.map { CaptionNormalization.normalize($0.text) }),
                baseline: try scores(Array(repeating: baseline, count: records.count)), baselineCaption: baseline,
                captionsPerSecond: Double(records.count) / max(seconds, 1e-9),
                examples: shown.map { .init(id: records[$0].id, caption: captions[$0].text,
                                            logProbability: captions[$0].logProbability, references: refs[$0]) }))
        }
        return out
    }

    /// An item's reference captions: every template filled with its label name, else its text.
    public static func references(_ record: ManifestRecord, _ recipe: Recipe) -> [String] {
        if let templates = recipe.data.templates, let name = record.labelName {
            return templates.map { $0.replacingOccurrences(of: "{}", with: name) }
        }
        return record.text.map { [$0] } ?? []
    }
}
