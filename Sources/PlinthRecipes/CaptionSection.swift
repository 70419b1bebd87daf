import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthNN

/// A caption head trained on the recipe's model (ClipCap): the fields it
/// learns to caption, its decoder's tokenizer and its shape. With no
/// contrastive pairs, the caption loss alone trains; with both, their sum
/// (the caption loss times `weight`).
///
/// ```yaml
/// caption:
///   fields: [image, speech, audio]
///   text: small                     # the decoder's tokenizer preset (default: data.text)
///   head: {input: embedding, mapper: transformer, prefix_length: 10, width: 128, layers: 2, heads: 4,
///          vocab_size: 1867, context_length: 32}
/// ```
public struct CaptionSection: Codable, Sendable {
    /// Fields captioned: image, audio, speech.
    public var fields: [Field]
    /// A text preset of modalities/text.yaml with a BPE tokenizer (the project's or CLIP's).
    public var text: String?
    public var head: CaptionConfig
    public var weight: Float

    enum CodingKeys: String, CodingKey, CaseIterable { case fields, text, head, weight }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fields = try c.decode([Field].self, forKey: .fields)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        head = try c.decode(CaptionConfig.self, forKey: .head)
        weight = try c.decodeIfPresent(Float.self, forKey: .weight) ?? 1
    }
}

/// How `plinth eval` decodes captions (see `DecodingOptions`).
///
/// ```yaml
/// eval: {caption: {beams: 3, max_length: 20, length_penalty: 1, no_repeat_ngram: 3}}
/// ```
public struct CaptionEvalSection: Codable, Sendable {
    public var beams: Int
    public var maxLength: Int
    public var minLength: Int
    public var lengthPenalty: Double
    public var noRepeatNgram: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case beams, maxLength = "max_length", minLength = "min_length", lengthPenalty = "length_penalty"
        case noRepeatNgram = "no_repeat_ngram"
    }

    public init(beams: Int = 3, maxLength: Int = 20, minLength: Int = 0, lengthPenalty: Double = 1, noRepeatNgram: Int = 0) {
        (self.beams, self.maxLength, self.minLength, self.lengthPenalty, self.noRepeatNgram) =
            (beams, maxLength, minLength, lengthPenalty, noRepeatNgram)
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CaptionEvalSection()
        beams = try c.decodeIfPresent(Int.self, forKey: .beams) ?? d.beams
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength) ?? d.maxLength
        minLength = try c.decodeIfPresent(Int.self, forKey: .minLength) ?? d.minLength
        lengthPenalty = try c.decodeIfPresent(Double.self, forKey: .lengthPenalty) ?? d.lengthPenalty
        noRepeatNgram = try c.decodeIfPresent(Int.self, forKey: .noRepeatNgram) ?? d.noRepeatNgram
    }

    public var options: DecodingOptions {
        DecodingOptions(beams: beams, maxLength: maxLength, minLength: minLength, lengthPenalty: lengthPenalty,
                        noRepeatNgram: noRepeatNgram)
    }
}

extension CaptionSection {
    /// The decoder's tokenizer: the `text` preset (else `fallback`), which must be
    /// a BPE tokenizer with the head's vocabulary size and context length.
    public func tokenizer(fallback: String?, file: String) throws -> CLIPTokenizer {
        func fail(_ field: String, _ message: String) -> RecipeError { RecipeError(file: file, field: field, message: message) }
        guard let preset = text ?? fallback else { throw fail("caption.text", "names no text preset for the decoder") }
        let loaded = try TextTokenizers.load(preset: ModalityCards.load(TextPreset.self, preset: preset))
        guard let bpe = loaded as? CLIPTokenizer else {
            throw fail("caption.text", "preset '\(preset)' is not a BPE tokenizer; the decoder needs one with start and end tokens")
        }
        guard bpe.vocabularySize == head.vocabSize && bpe.contextLength == head.contextLength else {
            throw fail("caption.head", "vocab_size \(head.vocabSize) and context_length \(head.contextLength) must match preset '\(preset)': \(bpe.vocabularySize) and \(bpe.contextLength)")
        }
        return bpe
    }
}
