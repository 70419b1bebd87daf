import Foundation

/// OpenAI CLIP's tokenizer, reproducing open_clip 3.3.0 `SimpleTokenizer` / `open_clip.tokenize`
/// token for token (checked against Tests/Fixtures/text/clip_tokenize.jsonl, and on mojibake
/// against ftfy_fix_text.jsonl).
///
/// Pipeline: `TextCleaner.clipClean` (`ftfy.fix_text` with its mojibake repair, html.unescape
/// twice, whitespace collapse, lowercase) → `CLIPPreTokenizer.split` → UTF-8 bytes of each pre-token → `ByteLevelBPE`.
/// `tokenize` then frames the ids as `[<start_of_text>] + ids + [<end_of_text>]`, truncates to
/// the context length forcing the last kept id to `<end_of_text>`, and pads with id 0.
///
/// Layout of `tokenize`: `[T]` ids with T = `contextLength` (77 for CLIP); `attentionMask` is
/// `[T]`, 1 up to and including `<end_of_text>`, 0 on padding (CLIP itself pools at the argmax
/// id, i.e. the end token; the mask is for consumers that want one).
/// Thread-safe: the BPE cache is locked.
public struct CLIPTokenizer: Sendable {
    public let bpe: ByteLevelBPE
    public let contextLength: Int
    public let startOfText: Int
    public let endOfText: Int
    public let specialTokens: [String]
    /// Placeholder tokens added after the vocabulary (textual inversion), in order, each with its ids.
    public private(set) var addedTokens: [(token: String, ids: [Int])] = []
    /// Inputs longer than this many code points are rejected before any work (hostile input
    /// bound: BPE is quadratic in a word's length, as in open_clip; a 65,536-letter word takes
    /// about 10 s, a 20,000-letter one under 1 s).
    public var maxInputScalars = 1 << 16

    /// Merges kept from OpenAI's file: `merges[1:49152-256-2+1]` in SimpleTokenizer.
    public static let clipMergeCount = 49152 - 256 - 2
    public static let defaultSpecialTokens = ["<start_of_text>", "<end_of_text>"]

    /// Wraps a BPE model whose vocabulary ends with `specialTokens` (start, end, then extras).
    public init(bpe: ByteLevelBPE, contextLength: Int = 77, specialTokens: [String] = defaultSpecialTokens) throws {
        guard contextLength >= 2 else { throw TextError.invalidArgument("context length \(contextLength) < 2") }
        guard specialTokens.count >= 2, let sot = bpe.encoder[specialTokens[0]], let eot = bpe.encoder[specialTokens[1]]
        else { throw TextError.invalidArgument("the BPE vocabulary lacks the special tokens \(specialTokens)") }
        self.bpe = bpe
        self.contextLength = contextLength
        self.startOfText = sot
        self.endOfText = eot
        self.specialTokens = specialTokens
    }

    /// Loads OpenAI's merges file (decompressed `bpe_simple_vocab_16e6.txt`): 49,408 tokens,
    /// `<start_of_text>` = 49406, `<end_of_text>` = 49407. Throws `TextError.vocabulary` naming
    /// the file (and line) when it is missing or malformed.
    public static func openAI(path: String, contextLength: Int = 77) throws -> CLIPTokenizer {
        let merges = try ByteLevelBPE.loadMerges(path: path, mergeLimit: clipMergeCount)
        return try CLIPTokenizer(bpe: ByteLevelBPE(merges: merges, specialTokens: defaultSpecialTokens),
                                 contextLength: contextLength)
    }

    /// Loads a merges file written by `BPETrainer` (all merges kept).
    public static func trained(path: String, contextLength: Int) throws -> CLIPTokenizer {
        let merges = try ByteLevelBPE.loadMerges(path: path)
        return try CLIPTokenizer(bpe: ByteLevelBPE(merges: merges, specialTokens: defaultSpecialTokens),
                                 contextLength: contextLength)
    }

    /// Vocabulary size (49,408 for OpenAI CLIP), added tokens included.
    public var vocabularySize: Int { bpe.decoder.count + addedTokens.reduce(0) { $0 + $1.ids.count } }

    /// A copy that reads `token` (e.g. "<my-mug>") as `count` new ids after the
    /// vocabulary, as Hugging Face's `add_tokens` does for textual inversion
    /// (a multi-vector token stands for `count` consecutive ids). The token is
    /// matched before BPE, like the special tokens. It must be lowercase
    /// without spaces (the text is lowercased before matching) and new.
    public func adding(_ token: String, count: Int = 1) throws -> CLIPTokenizer {
        guard (1...16).contains(count) else { throw TextError.invalidArgument("token '\(token)': \(count) vectors, expected 1...16") }
        guard !token.isEmpty, token.count <= 64, String(scalars: TextCleaner.clipClean(token)) == token,
              !token.contains(where: \.isWhitespace) else {
            throw TextError.invalidArgument("token '\(token)' must be 1 to 64 lowercase characters without spaces, unchanged by the text cleaner")
        }
        guard bpe.encoder[token] == nil, bpe.encoder[token + "</w>"] == nil, !addedTokens.contains(where: { $0.token == token }) else {
            throw TextError.invalidArgument("token '\(token)' is already in the vocabulary")
        }
        var copy = self
        copy.addedTokens.append((token, Array(vocabularySize..<vocabularySize + count)))
        return copy
    }

    /// `SimpleTokenizer.encode`: ids without start/end tokens or padding.
    public func encode(_ text: String) throws -> [Int] {
        let count = text.unicodeScalars.count
        guard count <= maxInputScalars else {
            throw TextError.invalidArgument("text has \(count) code points, above the limit of \(maxInputScalars)")
        }
        let cleaned = TextCleaner.clipClean(text)
        // Longer added tokens first, so one that contains another wins.
        let added = Dictionary(addedTokens.map { ($0.token, $0.ids) }, uniquingKeysWith: { a, _ in a })
        let specials = specialTokens + added.keys.sorted { $0.count > $1.count }
        var ids: [Int] = []
        for piece in CLIPPreTokenizer.split(cleaned, specialTokens: specials) {
            ids.append(contentsOf: added[piece] ?? bpe.encodeWord(piece))
        }
        return ids
    }


    /// `open_clip.tokenize(text, context_length)[0]`: `[T]` ids, zero padded, and the mask.
    public func tokenize(_ text: String) throws -> (ids: [Int], attentionMask: [Int]) {
        frame(try encode(text))
    }


    /// Tokenizes a batch: `[B][T]` ids.
    public func tokenize(_ texts: [String]) throws -> [[Int]] {
        try texts.map { try tokenize($0).ids }
    }

    private func frame(_ body: [Int]) -> (ids: [Int], attentionMask: [Int]) {
        var tokens = [startOfText] + body + [endOfText]
        if tokens.count > contextLength {
            tokens = Array(tokens.prefix(contextLength))
            tokens[contextLength - 1] = endOfText
        }
        let pad = contextLength - tokens.count
        return (tokens + [Int](repeating: 0, count: pad),
                [Int](repeating: 1, count: tokens.count) + [Int](repeating: 0, count: pad))
    }

    /// `SimpleTokenizer.decode`: every id decoded (special tokens and padding included, as in
    /// open_clip), "</w>" turned into a space. Throws for ids outside the vocabulary.
    public func decode(_ ids: [Int]) throws -> String {
        let base = bpe.decoder.count
        guard let firstAdded = ids.firstIndex(where: { $0 >= base }) else { return try bpe.decode(ids) }
        let id = ids[firstAdded]
        guard let token = addedTokens.first(where: { $0.ids.contains(id) }) else {
            throw TextError.invalidArgument("token id \(id) is outside the vocabulary of \(vocabularySize)")
        }
        let word = id == token.ids[0] ? token.token + " " : ""
        return try bpe.decode(Array(ids[..<firstAdded])) + word + decode(Array(ids[(firstAdded + 1)...]))
    }

    /// Decodes a `tokenize` row: drops `<start_of_text>`, stops at `<end_of_text>`, trims the
    /// trailing space left by the last "</w>".
    public func decodeTokenized(_ ids: [Int]) throws -> String {
        var body = ids.first == startOfText ? Array(ids.dropFirst()) : ids
        if let end = body.firstIndex(of: endOfText) { body = Array(body[..<end]) }
        let text = try decode(body)
        return text.hasSuffix(" ") ? String(text.dropLast()) : text
    }
}
