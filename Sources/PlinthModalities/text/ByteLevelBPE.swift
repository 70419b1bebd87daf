import Foundation

/// GPT-2/CLIP byte-level BPE model: the `bytes_to_unicode` alphabet, a merges table and the
/// greedy merge loop, as in open_clip's `SimpleTokenizer` (src/open_clip/tokenizer.py).
///
/// Vocabulary layout (ids), exactly as SimpleTokenizer builds it:
///   0..<256      the 256 byte symbols in `bytes_to_unicode` dict order (`byteOrder`),
///   256..<512    the same symbols with the end-of-word marker "</w>" appended,
///   512..<512+M  one symbol per merge (the two halves concatenated), in merge order,
///   then the special tokens (CLIP: "<start_of_text>" = 49406, "<end_of_text>" = 49407).
/// Later duplicates win, as Python's `dict(zip(vocab, range(len(vocab))))` does.
///
/// Merges file format ("bpe_simple_vocab_16e6.txt", decompressed): line 1 is a header
/// ("#version: ..."), each following line is two space-separated symbols. SimpleTokenizer keeps
/// lines 1..<48895 (`merges[1:49152-256-2+1]`, 48,894 merges); `mergeLimit` reproduces that.
public final class ByteLevelBPE: @unchecked Sendable {
    /// `bytes_to_unicode()`: byte value to the printable code point that stands for it.
    public static let byteEncoder: [Unicode.Scalar] = {
        var bs = Array(33...126) + Array(161...172) + Array(174...255)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (b, c) in zip(bs, cs) { table[b] = Unicode.Scalar(UInt32(c))! }
        return table
    }()
    /// Byte values in `bytes_to_unicode()` dict order (printable ranges first), the order of
    /// vocabulary ids 0..<256.
    public static let byteOrder: [Int] = {
        var bs = Array(33...126) + Array(161...172) + Array(174...255)
        for b in 0..<256 where !bs.contains(b) { bs.append(b) }
        return bs
    }()
    /// Inverse of `byteEncoder`.
    public static let byteDecoder: [Unicode.Scalar: UInt8] = {
        var m: [Unicode.Scalar: UInt8] = [:]
        for (b, c) in byteEncoder.enumerated() { m[c] = UInt8(b) }
        return m
    }()
    public static let endOfWord = "</w>"

    /// Symbol string to id.
    public let encoder: [String: Int]
    /// Id to symbol string.
    public let decoder: [String]
    /// Merges in rank order.
    public let merges: [(String, String)]
    /// (left id, right id) packed as `left << 32 | right`, to (rank, merged id).
    private let ranks: [UInt64: (rank: Int, merged: Int)]
    private let byteIds: [Int]
    private let byteEndIds: [Int]
    private var cache: [String: [Int]] = [:]
    private let lock = NSLock()

    /// Builds the vocabulary from merges and appends `specialTokens`.
    public init(merges: [(String, String)], specialTokens: [String]) {
        var vocab = Self.byteOrder.map { String(Self.byteEncoder[$0]) }
        vocab += vocab.map { $0 + Self.endOfWord }
        vocab += merges.map { $0.0 + $0.1 }
        vocab += specialTokens
        var encoder: [String: Int] = [:]
        for (i, v) in vocab.enumerated() { encoder[v] = i }
        var ranks: [UInt64: (rank: Int, merged: Int)] = [:]
        for (r, m) in merges.enumerated() {
            guard let a = encoder[m.0], let b = encoder[m.1], let ab = encoder[m.0 + m.1] else { continue }
            ranks[UInt64(a) << 32 | UInt64(b)] = (r, ab)
        }
        self.encoder = encoder
        self.decoder = vocab
        self.merges = merges
        self.ranks = ranks
        byteIds = (0..<256).map { encoder[String(Self.byteEncoder[$0])]! }
        byteEndIds = (0..<256).map { encoder[String(Self.byteEncoder[$0]) + Self.endOfWord]! }
        for s in specialTokens { cache[s] = [encoder[s]!] }
    }

    /// Reads a merges file. `mergeLimit` keeps only the first lines (CLIP: 48,894 merges); nil
    /// keeps all. Throws `TextError.vocabulary` naming the file and 1-based line when the file is
    /// missing, not UTF-8, has no header, or a merge line is not exactly two symbols.
    public static func loadMerges(path: String, mergeLimit: Int? = nil) throws -> [(String, String)] {
        let text = try UTF8Validation.readVocabulary(path: path, what: "merges file")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first, header.contains("#version") else {
            throw TextError.vocabulary(file: path, line: 1, message: "expected a '#version: ...' header line")
        }
        let end = min(lines.count, mergeLimit.map { $0 + 1 } ?? lines.count)
        var merges: [(String, String)] = []
        merges.reserveCapacity(end)
        for i in 1..<max(end, 1) {
            let fields = lines[i].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty && i == lines.count - 1 { break }  // trailing newline
            guard fields.count == 2 else {
                throw TextError.vocabulary(
                    file: path, line: i + 1, message: "expected two space-separated symbols, found \(fields.count)")
            }
            merges.append((String(fields[0]), String(fields[1])))
        }
        if let limit = mergeLimit, merges.count < limit {
            throw TextError.vocabulary(
                file: path, line: lines.count, message: "expected \(limit) merges, found \(merges.count)")
        }
        return merges
    }

    /// Byte-level BPE of one pre-token: its UTF-8 bytes as symbols, "</w>" on the last, then the
    /// lowest-rank adjacent pair merged everywhere (left to right) until no pair has a rank.
    /// Results are cached per pre-token (special tokens map to their own id).
    public func encodeWord(_ word: String) -> [Int] {
        lock.lock()
        if let hit = cache[word] { lock.unlock(); return hit }
        lock.unlock()
        let bytes = Array(word.utf8)
        guard !bytes.isEmpty else { return [] }
        var symbols = bytes.dropLast().map { byteIds[Int($0)] } + [byteEndIds[Int(bytes.last!)]]
        while symbols.count > 1 {
            var best: (rank: Int, merged: Int)? = nil
            var bestPair: UInt64 = 0
            for k in 0..<(symbols.count - 1) {
                let key = UInt64(symbols[k]) << 32 | UInt64(symbols[k + 1])
                if let r = ranks[key], best == nil || r.rank < best!.rank { best = r; bestPair = key }
            }
            guard let merge = best else { break }
            let first = Int(bestPair >> 32), second = Int(bestPair & 0xFFFF_FFFF)
            var next: [Int] = []
            next.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if symbols[i] == first && i + 1 < symbols.count && symbols[i + 1] == second {
                    next.append(merge.merged)
                    i += 2
                } else {
                    next.append(symbols[i])
                    i += 1
                }
            }
            symbols = next
        }
        lock.lock()
        if cache.count > 1 << 20 { cache.removeAll(keepingCapacity: true) }  // bound memory on huge corpora
        cache[word] = symbols
        lock.unlock()
        return symbols
    }

    /// `SimpleTokenizer.decode`: concatenates the symbols, maps each code point back to its byte,
    /// decodes UTF-8 with U+FFFD for invalid sequences, then turns every "</w>" into a space.
    /// Throws `TextError.invalidArgument` for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0 && id < decoder.count else {
                throw TextError.invalidArgument("token id \(id) is outside the vocabulary (0..<\(decoder.count))")
            }
            for s in decoder[id].unicodeScalars {
                guard let b = Self.byteDecoder[s] else {
                    throw TextError.invalidArgument("token id \(id) holds U+\(String(s.value, radix: 16)), not a byte symbol")
                }
                bytes.append(b)
            }
        }
        // "</w>" is ASCII, so replacing it in the bytes equals Python's replace after decoding (and
        // avoids Swift's grapheme-based replacement missing "</w>" followed by a combining mark).
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x3C && i + 3 < bytes.count && bytes[i + 1] == 0x2F && bytes[i + 2] == 0x77
                && bytes[i + 3] == 0x3E
            {
                out.append(0x20)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
