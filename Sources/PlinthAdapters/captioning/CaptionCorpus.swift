/// Candidate and reference captions of one corpus, already normalized (space-separated tokens).
///
/// Item i pairs `candidates[i]` with `references[i]`. The scorers split captions into tokens
/// exactly as Python's `str.split()` does (at any run of Unicode whitespace or U+001C...U+001F)
/// and compare tokens by Unicode scalars, as Python compares strings: "caf\u{E9}" and
/// "cafe\u{301}" are different tokens although Swift's `==` calls them equal.
/// ``CaptionNormalization`` makes such captions from raw text.
public struct CaptionCorpus: Sendable {
    /// One candidate per item; an empty candidate (no tokens) is allowed.
    public var candidates: [String]
    /// One or more references per item, same count as `candidates`.
    public var references: [[String]]

    /// - Throws: ``CaptionMetricError`` if the counts differ, the corpus is empty, or an item has
    ///   no references (the message names the first such item index).
    public init(candidates: [String], references: [[String]]) throws {
        if let error = Self.invalidity(candidates: candidates, references: references) { throw error }
        self.candidates = candidates
        self.references = references
    }

    static func invalidity(candidates: [String], references: [[String]]) -> CaptionMetricError? {
        if candidates.count != references.count {
            return CaptionMetricError("CaptionCorpus: \(candidates.count) candidates but \(references.count) reference lists")
        }
        if candidates.isEmpty { return CaptionMetricError("CaptionCorpus: the corpus is empty") }
        if let item = references.firstIndex(where: \.isEmpty) {
            return CaptionMetricError("CaptionCorpus: item \(item) has no references")
        }
        return nil
    }

    /// Every caption's 1- to maxN-gram counts, over token ids shared by the whole corpus.
    /// Traps if the fields were changed into an invalid corpus after `init`.
    func ngramCounts(maxN: Int) -> (candidates: [NGramCounts], references: [[NGramCounts]]) {
        if let error = Self.invalidity(candidates: candidates, references: references) { preconditionFailure(error.message) }
        var table = TokenTable()
        let counted = candidates.map { NGramCounts(table.ids(of: $0), maxN: maxN) }
        return (counted, references.map { $0.map { NGramCounts(table.ids(of: $0), maxN: maxN) } })
    }
}

/// An invalid ``CaptionCorpus``.
public struct CaptionMetricError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }
}

/// The n-gram counts of one caption for n = 1...maxN, as pycocoevalcap's `precook`.
struct NGramCounts {
    /// The number of tokens.
    let length: Int
    /// `grams[n - 1]`: the distinct n-grams in order of first occurrence (pycocoevalcap's dictionary order).
    let grams: [[[Int]]]
    /// The count of each distinct n-gram, all orders in one table (an n-gram's order is its length).
    let count: [[Int]: Int]

    init(_ tokens: [Int], maxN: Int) {
        var grams: [[[Int]]] = [], count: [[Int]: Int] = [:]
        for n in 1...maxN {
            var distinct: [[Int]] = []
            for start in 0..<max(0, tokens.count - n + 1) {
                let gram = Array(tokens[start..<start + n])
                if count[gram] == nil { distinct.append(gram) }
                count[gram, default: 0] += 1
            }
            grams.append(distinct)
        }
        self.length = tokens.count
        self.grams = grams
        self.count = count
    }
}

/// Token ids, equal exactly when the tokens have the same Unicode scalars.
private struct TokenTable {
    private var ids: [[UInt32]: Int] = [:]

    /// The ids of the caption's tokens, split at the characters where Python's `str.split()` splits.
    mutating func ids(of caption: String) -> [Int] {
        caption.unicodeScalars.split { $0.properties.isWhitespace || (0x1C...0x1F).contains($0.value) }.map { token in
            let key = token.map(\.value)
            if let id = ids[key] { return id }
            ids[key] = ids.count
            return ids.count - 1
        }
    }
}
