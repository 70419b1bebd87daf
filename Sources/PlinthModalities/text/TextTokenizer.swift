import Foundation

/// What the text encoders need from a tokenizer: fixed-length id rows and an attention mask.
///
/// Layout: `tokenize` returns `[T]` ids and `[T]` mask with T = `contextLength`; the mask is 1 on
/// real tokens (specials included) and 0 on padding. `tokenizeBatch` returns `[B][T]` of each.
public protocol TextTokenizer: Sendable {
    /// T, the row length `tokenize` pads or truncates to.
    var contextLength: Int { get }
    /// Number of token ids (embedding table rows).
    var vocabularySize: Int { get }
    /// The id used for padding (0 for both CLIP and BERT).
    var padId: Int { get }
    /// Ids of the text alone, with no start/end tokens and no padding.
    func encode(_ text: String) throws -> [Int]
    /// One framed, padded row.
    func tokenize(_ text: String) throws -> (ids: [Int], attentionMask: [Int])
    /// Readable text back from a `tokenize` row (special tokens and padding dropped).
    func decodeTokenized(_ ids: [Int]) throws -> String
}

extension TextTokenizer {
    /// `encode` for raw bytes, which must be UTF-8 (else `TextError.invalidUTF8` with the byte offset).
    public func encode(bytes: Data) throws -> [Int] { try encode(UTF8Validation.decode(bytes)) }

    /// `tokenize` for raw bytes, which must be UTF-8 (else `TextError.invalidUTF8` with the byte offset).
    public func tokenize(bytes: Data) throws -> (ids: [Int], attentionMask: [Int]) {
        try tokenize(UTF8Validation.decode(bytes))
    }

    /// `[B][T]` ids and masks.
    public func tokenizeBatch(_ texts: [String]) throws -> (ids: [[Int]], attentionMask: [[Int]]) {
        var ids: [[Int]] = [], masks: [[Int]] = []
        ids.reserveCapacity(texts.count)
        masks.reserveCapacity(texts.count)
        for t in texts {
            let row = try tokenize(t)
            ids.append(row.ids)
            masks.append(row.attentionMask)
        }
        return (ids, masks)
    }
}

extension CLIPTokenizer: TextTokenizer {
    public var padId: Int { 0 }
}

extension WordPieceTokenizer: TextTokenizer {
    public var contextLength: Int { maxLength }
    public var vocabularySize: Int { tokens.count }
    public var padId: Int { pad }
    public func decodeTokenized(_ ids: [Int]) throws -> String { try decode(ids, skipSpecialTokens: true) }
}

/// Builds the tokenizer a text preset (modalities/text.yaml) names.
public enum TextTokenizers {
    /// `kind` is the preset's `tokenizer` field: "clip_bpe" (OpenAI merges file), "wordpiece"
    /// (BERT vocab.txt) or "bpe" (a `BPETrainer` merges file). `vocabulary` is an absolute path or
    /// one relative to `root` (the repository root). `lowercase` must be true: every supported
    /// tokenizer lowercases (cased BERT is not implemented). Throws `TextError.vocabulary` for a
    /// missing or malformed file and `TextError.invalidArgument` for an unknown kind.
    public static func load(kind: String, vocabulary: String, contextLength: Int, lowercase: Bool = true,
                            root: URL? = nil) throws -> any TextTokenizer {
        guard lowercase else {
            throw TextError.invalidArgument("text tokenizer '\(kind)': lowercase: false is not supported (all are uncased)")
        }
        let path = vocabulary.hasPrefix("/") || root == nil
            ? vocabulary : root!.appendingPathComponent(vocabulary).path
        switch kind {
        case "clip_bpe": return try CLIPTokenizer.openAI(path: path, contextLength: contextLength)
        case "wordpiece": return try WordPieceTokenizer.load(path: path, maxLength: contextLength)
        case "bpe": return try CLIPTokenizer.trained(path: path, contextLength: contextLength)
        default:
            throw TextError.invalidArgument("unknown text tokenizer '\(kind)' (valid: bpe, clip_bpe, wordpiece)")
        }
    }

    /// The tokenizer of a text preset, its vocabulary resolved against the
    /// repository root that holds `modalities/`.
    public static func load(preset p: TextPreset) throws -> any TextTokenizer {
        try load(kind: p.tokenizer, vocabulary: p.vocabulary, contextLength: p.contextLength, lowercase: p.lowercase,
                 root: ModalityCards.directory.deletingLastPathComponent())
    }
}
