import Foundation

/// Learns byte-level BPE merges from a corpus, for models trained from scratch (the "small" text
/// preset). The result loads with `CLIPTokenizer.trained(path:contextLength:)`.
///
/// Pre-tokenisation is exactly the CLIP tokenizer's (`TextCleaner.clipClean`, then
/// `CLIPPreTokenizer.split`), and words start as the `ByteLevelBPE` base symbols (bytes, the last
/// with "</w>"), so encoding a training word replays the learned merges in rank order.
///
/// Algorithm (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
/// Units"): count adjacent symbol pairs over distinct words weighted by frequency; repeatedly merge
/// the most frequent pair everywhere. Ties go to the pair with the smallest (left id, right id),
/// where ids follow the `ByteLevelBPE` layout (bytes in `bytes_to_unicode` order, then "</w>"
/// forms, then merges in order), so training is deterministic. Training stops at
/// `vocabularySize` = 512 + merges + 2 special tokens, or earlier when no pair occurs at least
/// `minFrequency` times. Special-token strings in the corpus are not learned from. Ids in the
/// tie-break count distinct token strings (a string reached by a second split, "ab"+"c" after
/// "a"+"bc", keeps its first id); the saved file still lists that merge, so the loaded vocabulary
/// holds the string twice and, like open_clip's dict, uses the later id.
public struct BPETrainer: Sendable {
    public var vocabularySize: Int
    public var minFrequency: Int
    public static let baseSize = 512
    public let specialTokens = CLIPTokenizer.defaultSpecialTokens

    /// `vocabularySize` must be at least 514 (the byte alphabet, its "</w>" forms, two specials).
    public init(vocabularySize: Int, minFrequency: Int = 2) throws {
        guard vocabularySize >= Self.baseSize + 2 else {
            throw TextError.invalidArgument("vocabulary size \(vocabularySize) < \(Self.baseSize + 2) (bytes, end-of-word forms, 2 specials)")
        }
        guard minFrequency >= 1 else { throw TextError.invalidArgument("minimum frequency \(minFrequency) < 1") }
        self.vocabularySize = vocabularySize
        self.minFrequency = minFrequency
    }

    /// Learns merges from `lines` (each cleaned and pre-tokenized independently).
    public func train(lines: [String]) -> [(String, String)] {
        var counts: [String: Int] = [:]
        for line in lines {
            for piece in CLIPPreTokenizer.split(TextCleaner.clipClean(line), specialTokens: specialTokens)
            where !specialTokens.contains(piece) {
                counts[piece, default: 0] += 1
            }
        }
        let byteIndex = Dictionary(uniqueKeysWithValues: ByteLevelBPE.byteOrder.enumerated().map { ($1, $0) })
        var symbolNames = ByteLevelBPE.byteOrder.map { String(ByteLevelBPE.byteEncoder[$0]) }
        symbolNames += symbolNames.map { $0 + ByteLevelBPE.endOfWord }
        // Sorted so the word order (and so every tie-break input) is independent of hashing.
        let sortedWords = counts.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var words: [[Int]] = sortedWords.map { w in
            let b = Array(w.utf8)
            return b.dropLast().map { byteIndex[Int($0)]! } + [256 + byteIndex[Int(b.last!)]!]
        }
        let freq = sortedWords.map { counts[$0]! }
        var idOfName: [String: Int] = [:]
        for (i, n) in symbolNames.enumerated() { idOfName[n] = i }

        func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(a) << 32 | UInt64(b) }
        var pairCounts: [UInt64: Int] = [:]
        var occurrences: [UInt64: Set<Int>] = [:]
        for (w, symbols) in words.enumerated() where symbols.count > 1 {
            for k in 0..<(symbols.count - 1) {
                let p = key(symbols[k], symbols[k + 1])
                pairCounts[p, default: 0] += freq[w]
                occurrences[p, default: []].insert(w)
            }
        }

        var merges: [(String, String)] = []
        let target = vocabularySize - Self.baseSize - specialTokens.count
        while merges.count < target {
            var best: UInt64 = 0
            var bestCount = 0
            for (p, c) in pairCounts where c > bestCount || (c == bestCount && c > 0 && p < best) {
                best = p
                bestCount = c
            }
            guard bestCount >= minFrequency else { break }
            let a = Int(best >> 32), b = Int(best & 0xFFFF_FFFF)
            // A token string reached by two different splits keeps one id (its first), so counts
            // are per string, as the loaded tokenizer sees them.
            let name = symbolNames[a] + symbolNames[b]
            let merged = idOfName[name] ?? symbolNames.count
            if merged == symbolNames.count {
                symbolNames.append(name)
                idOfName[name] = merged
            }
            merges.append((symbolNames[a], symbolNames[b]))
            for w in (occurrences[best] ?? []).sorted() {
                let old = words[w]
                for k in 0..<(old.count - 1) {
                    let p = key(old[k], old[k + 1])
                    pairCounts[p, default: 0] -= freq[w]
                    if pairCounts[p] == 0 { pairCounts[p] = nil }
                }
                var new: [Int] = []
                var i = 0
                while i < old.count {
                    if i + 1 < old.count && old[i] == a && old[i + 1] == b {
                        new.append(merged)
                        i += 2
                    } else {
                        new.append(old[i])
                        i += 1
                    }
                }
                words[w] = new
                for k in 0..<max(new.count - 1, 0) {
                    let p = key(new[k], new[k + 1])
                    pairCounts[p, default: 0] += freq[w]
                    occurrences[p, default: []].insert(w)
                }
            }
            occurrences[best] = nil
            pairCounts[best] = nil
        }
        return merges
    }

    /// Writes the merges in OpenAI's format: a "#version" header line, then "left right" per line.
    /// Written atomically (no half-written file on failure).
    public static func saveMerges(_ merges: [(String, String)], to path: String) throws {
        var text = "#version: 0.2 (plinth BPETrainer, \(merges.count) merges)\n"
        for (a, b) in merges { text += "\(a) \(b)\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Writes the vocabulary the merges imply, one token per line in id order (line n is id n-1),
    /// as `ByteLevelBPE` builds it; for inspection and for tools that want a token list.
    public static func saveVocabulary(_ merges: [(String, String)], to path: String) throws {
        let bpe = ByteLevelBPE(merges: merges, specialTokens: CLIPTokenizer.defaultSpecialTokens)
        try Data((bpe.decoder.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
