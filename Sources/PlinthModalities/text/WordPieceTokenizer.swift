import Foundation

/// BERT WordPiece tokenizer reproducing Hugging Face `BertTokenizer(vocab.txt, do_lower_case=True)`
/// (transformers 4.57.6, the Python tokenizer), checked id for id against
/// Tests/Fixtures/text/bert_tokenize.jsonl.
///
/// Pipeline: `BertBasicTokenizer.split` (lowercasing, cleaning, CJK spacing, accent stripping,
/// punctuation splitting, special tokens kept whole) → greedy longest-match-first WordPiece per
/// word: the longest vocabulary prefix, then the longest "##"-prefixed continuation, and so on;
/// a word with no complete cover, or longer than `maxInputCharsPerWord` (100) code points, becomes
/// a single `[UNK]`. Unknown tokens map to `[UNK]`'s id.
///
/// `tokenize` layout: `[T]` ids = `[CLS] + pieces[..<T-2] + [SEP]`, then `[PAD]` up to T
/// (`padding="max_length", truncation=True`); `attentionMask` `[T]` is 1 on real tokens.
public struct WordPieceTokenizer: Sendable {
    /// Token to id (a token listed twice keeps its last line, as `load_vocab` does).
    public let vocabulary: [String: Int]
    /// Id to token (line order).
    public let tokens: [String]
    public let maxLength: Int
    public var maxInputCharsPerWord = 100
    /// Inputs longer than this many code points are rejected before any work (hostile input bound).
    public var maxInputScalars = 1 << 20
    public let cls: Int, sep: Int, pad: Int, unk: Int, mask: Int
    /// In BertTokenizer's `all_special_tokens` order.
    public static let specialTokens = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]

    /// Builds from tokens in id order; throws when a special token is missing.
    public init(tokens: [String], maxLength: Int = 128, source: String = "<memory>") throws {
        guard maxLength >= 2 else { throw TextError.invalidArgument("max length \(maxLength) < 2") }
        var vocab: [String: Int] = [:]
        for (i, t) in tokens.enumerated() { vocab[t] = i }
        func id(_ t: String) throws -> Int {
            guard let i = vocab[t] else {
                throw TextError.vocabulary(file: source, line: 0, message: "the vocabulary has no \(t) token")
            }
            return i
        }
        (unk, sep, pad, cls, mask) = (try id("[UNK]"), try id("[SEP]"), try id("[PAD]"), try id("[CLS]"), try id("[MASK]"))
        self.vocabulary = vocab
        self.tokens = tokens
        self.maxLength = maxLength
    }

    /// Loads a `vocab.txt` (one token per line, id = line number - 1). Throws `TextError.vocabulary`
    /// naming the file (and line) when it is missing, not UTF-8, has an empty or whitespace-bearing
    /// token line, or lacks a special token.
    public static func load(path: String, maxLength: Int = 128) throws -> WordPieceTokenizer {
        let text = try UTF8Validation.readVocabulary(path: path, what: "vocabulary")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        for (i, t) in lines.enumerated() where t.isEmpty || t.unicodeScalars.contains(where: PythonUnicode.isSpace) {
            throw TextError.vocabulary(file: path, line: i + 1, message: "expected one token without whitespace, found \(t.debugDescription)")
        }
        return try WordPieceTokenizer(tokens: lines, maxLength: maxLength, source: path)
    }

    /// `BertTokenizer.tokenize`: the word pieces as strings.
    public func pieces(_ text: String) throws -> [String] {
        let count = text.unicodeScalars.count
        guard count <= maxInputScalars else {
            throw TextError.invalidArgument("text has \(count) code points, above the limit of \(maxInputScalars)")
        }
        var out: [String] = []
        for word in BertBasicTokenizer.split(text, specialTokens: Self.specialTokens) {
            if Self.specialTokens.contains(word) { out.append(word) } else { out += wordPiece(word) }
        }
        return out
    }

    /// Greedy longest-match-first WordPiece of one word.
    func wordPiece(_ word: String) -> [String] {
        let chars = word.scalarArray
        if chars.count > maxInputCharsPerWord { return ["[UNK]"] }
        var out: [String] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: String? = nil
            while start < end {
                let sub = (start > 0 ? "##" : "") + String(scalars: chars[start..<end])
                if vocabulary[sub] != nil { found = sub; break }
                end -= 1
            }
            guard let piece = found else { return ["[UNK]"] }
            out.append(piece)
            start = end
        }
        return out
    }

    /// Ids without [CLS]/[SEP] or padding.
    public func encode(_ text: String) throws -> [Int] {
        try pieces(text).map { vocabulary[$0] ?? unk }
    }


    /// `tokenizer(text, max_length=T, padding="max_length", truncation=True)`.
    public func tokenize(_ text: String) throws -> (ids: [Int], attentionMask: [Int]) {
        frame(try encode(text))
    }


    private func frame(_ body: [Int]) -> (ids: [Int], attentionMask: [Int]) {
        let ids = [cls] + body.prefix(maxLength - 2) + [sep]
        let pad = maxLength - ids.count
        return (ids + [Int](repeating: self.pad, count: pad),
                [Int](repeating: 1, count: ids.count) + [Int](repeating: 0, count: pad))
    }

    /// `tokenizer.decode(ids, skip_special_tokens=...)` with `clean_up_tokenization_spaces=True`:
    /// pieces joined by spaces, " ##" removed, then the spaces before . ? ! , 'm 's 've 're n't and
    /// around a lone ' removed. Throws for ids outside the vocabulary.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws -> String {
        var parts: [String] = []
        for id in ids {
            guard id >= 0 && id < tokens.count else {
                throw TextError.invalidArgument("token id \(id) is outside the vocabulary (0..<\(tokens.count))")
            }
            if skipSpecialTokens && Self.specialTokens.contains(tokens[id]) { continue }
            parts.append(tokens[id])
        }
        var s = PythonUnicode.strip(PythonUnicode.replace(parts.joined(separator: " ").scalarArray, " ##", ""))
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                       (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            s = PythonUnicode.replace(s, a, b)
        }
        return String(scalars: s)
    }
}
