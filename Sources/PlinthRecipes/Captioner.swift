import Foundation
import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN

// Legend: N items, E joint width.

/// Captions images and sounds with a model file's caption head, in eval mode
/// and without gradients: the model's output for each item goes through the
/// head and is decoded (greedy, beam search or nucleus sampling).
public struct Captioner {
    public let model: MultimodalModel
    public let head: CaptionHead
    public let inputs: ModelInputs
    public let tokenizer: CLIPTokenizer
    public let section: CaptionSection
    public var batchSize = 64

    /// One decoded caption.
    public struct Caption: Sendable {
        public var text: String
        /// The model's log p of the caption's tokens (end token included when produced).
        public var logProbability: Double
        /// Whether the decoder ended the caption itself (false: cut at the maximum length).
        public var finished: Bool
    }

    public init(model: MultimodalModel, head: CaptionHead, inputs: ModelInputs, section: CaptionSection) throws {
        (self.model, self.head, self.inputs, self.section) = (model, head, inputs, section)
        tokenizer = try section.tokenizer(fallback: nil, file: "caption head")
        model.eval()
        head.eval()
    }

    /// A model file with a caption head, and the presets its card names.
    public init(modelFile url: URL) throws {
        let loaded = try ModelFile.loadWithHeads(url), card = loaded.card
        guard let head = loaded.caption, let section = card.caption else {
            throw CaptionError("model file '\(url.path)' has no caption head (train one with a recipe's caption section)")
        }
        try self.init(model: loaded.model, head: head, inputs: ModelInputs(card: card, directory: url.deletingLastPathComponent()),
                      section: section)
    }

    /// One field (image, audio or speech) of every record, captioned in record
    /// order; sampling draws from one generator seeded with `seed`.
    public func caption(records: [ManifestRecord], field: Field, options: DecodingOptions, seed: UInt64 = 0) throws -> [Caption] {
        guard field != .text else { throw CaptionError("text is not captioned") }
        if let missing = inputs.missingPreset(for: field) { throw CaptionError(missing) }
        let loader = try inputs.evaluationLoader(records: records, field: field, batchSize: batchSize)
        var generator = RandomGenerator(seed: seed)
        var out: [Caption] = []
        let batches = loader.batches(epoch: 0)
        while let batch = try batches.next() {
            let conditions = withNoGrad { model.captionCondition(field, of: batch, input: head.config.input)! }   // [b, ...]
            for i in 0..<batch.count {
                let best = try head.caption(condition: conditions.narrow(0, i, 1), start: tokenizer.startOfText,
                                            end: tokenizer.endOfText, options: options, generator: &generator)[0]
                out.append(Caption(text: Self.detokenize(try tokenizer.decodeTokenized(best.tokens)),
                                   logProbability: best.logProbability, finished: best.finished))
            }
        }
        return out
    }

    /// The tokenizer's text with punctuation joined to the word before it and hyphens to
    /// both neighbours ("a t - shirt ." -> "a t-shirt."): the BPE decodes every piece as a word.
    public static func detokenize(_ text: String) -> String {
        var out = "", joinNext = false
        for word in text.split(separator: " ") {
            if !out.isEmpty && !joinNext && !(word.first.map { ".,!?;:)'-".contains($0) } ?? false) { out += " " }
            out += word
            joinNext = word == "-"
        }
        return out
    }
}
