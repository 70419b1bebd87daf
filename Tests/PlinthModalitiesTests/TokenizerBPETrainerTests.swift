import Foundation
import PlinthModalities
import XCTest

/// BPETrainer: determinism, target size, save/load in the CLIP merges format, round trips.
final class TokenizerBPETrainerTests: XCTestCase {
    /// A few hundred deterministic caption-like lines (/usr/share/dict is empty on these machines).
    static let corpus: [String] = {
        let adjectives = ["small", "large", "red", "blue", "happy", "sleepy", "fluffy", "old", "shiny", "tiny"]
        let nouns = ["cat", "dog", "bird", "house", "tree", "car", "boat", "flower", "horse", "rocket"]
        let places = ["beach", "garden", "city", "forest", "kitchen", "mountain", "river", "street"]
        let verbs = ["sitting", "running", "sleeping", "standing", "flying", "waiting"]
        var rng = SplitMix64(seed: 7)
        return (0..<400).map { i in
            let a = adjectives[rng.next(adjectives.count)], n = nouns[rng.next(nouns.count)]
            let v = verbs[rng.next(verbs.count)], p = places[rng.next(places.count)]
            switch i % 4 {
            case 0: return "a photo of a \(a) \(n) \(v) in the \(p)."
            case 1: return "The \(n)'s \(a) friend is \(v) near the \(p)!"
            case 2: return "\(i) \(n)s, \(a) & \(v) — café \(p)"
            default: return "\(a.uppercased()) \(n) \u{1F436} \(p)"
            }
        }
    }()

    struct SplitMix64 {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    func testTrainsDeterministicallyToTargetSize() throws {
        let trainer = try BPETrainer(vocabularySize: 620)
        let merges = trainer.train(lines: Self.corpus)
        XCTAssertEqual(merges.count, 620 - 514)
        let again = trainer.train(lines: Self.corpus)
        XCTAssertTrue(merges.elementsEqual(again, by: { $0 == $1 }))
        // The first merge is the most frequent adjacent pair, counted here by brute force.
        var pairs: [String: Int] = [:]
        for line in Self.corpus {
            for word in CLIPPreTokenizer.split(TextCleaner.clipClean(line)) {
                var symbols = word.utf8.map { String(ByteLevelBPE.byteEncoder[Int($0)]) }
                symbols[symbols.count - 1] += "</w>"
                for k in 0..<(symbols.count - 1) { pairs[symbols[k] + " " + symbols[k + 1], default: 0] += 1 }
            }
        }
        let top = pairs.values.max()!
        XCTAssertEqual(pairs[merges[0].0 + " " + merges[0].1], top)
    }

    /// The incremental pair counts agree with recounting every pair from scratch at each step.
    func testMatchesNaiveRecount() throws {
        let merges = try BPETrainer(vocabularySize: 514 + 60).train(lines: Self.corpus)
        var counts: [[String]: Int] = [:]
        for line in Self.corpus {
            for word in CLIPPreTokenizer.split(TextCleaner.clipClean(line)) {
                var symbols = word.utf8.map { String(ByteLevelBPE.byteEncoder[Int($0)]) }
                symbols[symbols.count - 1] += "</w>"
                counts[symbols, default: 0] += 1
            }
        }
        var ids: [String: Int] = [:]
        for (i, b) in ByteLevelBPE.byteOrder.enumerated() {
            ids[String(ByteLevelBPE.byteEncoder[b])] = i
            ids[String(ByteLevelBPE.byteEncoder[b]) + "</w>"] = 256 + i
        }
        var naive: [(String, String)] = []
        while naive.count < 60 {
            var pairs: [[String]: Int] = [:]
            for (w, c) in counts where w.count > 1 {
                for k in 0..<(w.count - 1) { pairs[[w[k], w[k + 1]], default: 0] += c }
            }
            let best = pairs.max { a, b in
                a.value != b.value ? a.value < b.value
                    : (ids[a.key[0]]!, ids[a.key[1]]!) > (ids[b.key[0]]!, ids[b.key[1]]!)
            }!.key
            if ids[best[0] + best[1]] == nil { ids[best[0] + best[1]] = ids.count }
            naive.append((best[0], best[1]))
            var next: [[String]: Int] = [:]
            for (w, c) in counts {
                var out: [String] = []
                var i = 0
                while i < w.count {
                    if i + 1 < w.count && w[i] == best[0] && w[i + 1] == best[1] { out.append(best[0] + best[1]); i += 2 }
                    else { out.append(w[i]); i += 1 }
                }
                next[out, default: 0] += c
            }
            counts = next
        }
        XCTAssertTrue(merges.elementsEqual(naive, by: { $0 == $1 }), "\(merges.prefix(5)) vs \(naive.prefix(5))")
    }

    func testStopsWhenNoPairIsFrequentEnough() throws {
        let merges = try BPETrainer(vocabularySize: 100_000).train(lines: Self.corpus)
        XCTAssertLessThan(merges.count, 100_000 - 514)
        XCTAssertGreaterThan(merges.count, 50)
    }

    func testSaveLoadAndRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-bpe-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let merges = try BPETrainer(vocabularySize: 600).train(lines: Self.corpus)
        let mergesPath = dir.appendingPathComponent("small-bpe.txt").path
        let vocabPath = dir.appendingPathComponent("small-bpe.vocab.txt").path
        try BPETrainer.saveMerges(merges, to: mergesPath)
        try BPETrainer.saveVocabulary(merges, to: vocabPath)

        let tok = try CLIPTokenizer.trained(path: mergesPath, contextLength: 32)
        XCTAssertEqual(tok.vocabularySize, 600)
        XCTAssertEqual(tok.startOfText, 598)
        XCTAssertEqual(tok.endOfText, 599)
        let vocabLines = try String(contentsOfFile: vocabPath, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(vocabLines, tok.bpe.decoder)

        // Frequent words become single tokens.
        XCTAssertEqual(try tok.encode("photo").count, 1)
        XCTAssertEqual(try tok.encode("the").count, 1)
        XCTAssertGreaterThan(try tok.encode("xylophone").count, 1)
        // decode(encode(x)) is the pre-tokens joined by spaces (each word ends in "</w>" -> " ").
        let unseen = ["Zebras 🦓 graze near Zürich's lake, 42 of them!", "日本語 テキスト", "", "e\u{301}t\u{E9}"]
        for text in Self.corpus + unseen {
            let words = CLIPPreTokenizer.split(TextCleaner.clipClean(text))
            let expected = words.map { $0 + " " }.joined()
            XCTAssertEqual(try tok.decode(try tok.encode(text)), expected, text)
        }
        let framed = try tok.tokenize("a photo of a fluffy cat sitting in the garden.")
        XCTAssertEqual(framed.ids.count, 32)
        XCTAssertEqual(try tok.decodeTokenized(framed.ids), "a photo of a fluffy cat sitting in the garden .")
    }

    func testRejectsTooSmallVocabulary() {
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 300)) {
            XCTAssertTrue(String(describing: $0).contains("300"), String(describing: $0))
        }
    }
}
