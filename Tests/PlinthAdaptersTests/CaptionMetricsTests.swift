import Foundation
import PlinthAdapters
import PlinthTestSupport
import XCTest

/// BLEU and CIDEr-D against pycocoevalcap 1.2, and CaptionNormalization against its contract,
/// in Tests/Fixtures/captioning/metrics.json, made by scripts/fixtures/gen_caption_metrics.py.
final class CaptionMetricsTests: XCTestCase {
    struct Fixture: Decodable {
        struct Corpus: Decodable {
            let name: String
            let ids: [String]
            let gts: [String: [String]]
            let res: [String: [String]]
            let bleu: [Double]
            /// pycocoevalcap's layout: one list per order n, one entry per item.
            let bleuPerItem: [[Double]]
            let cider: Double
            let ciderPerItem: [Double]

            func corpus() throws -> CaptionCorpus {
                try CaptionCorpus(candidates: ids.map { res[$0]![0] }, references: ids.map { gts[$0]! })
            }
        }
        struct Normalization: Decodable {
            let raw: String
            let normalized: String
        }
        let corpora: [Corpus]
        let normalization: [Normalization]
    }

    let fixture: Fixture = {
        let url = Fixtures.directory.appendingPathComponent("captioning/metrics.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func assertClose(_ actual: Double, _ expected: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(actual - expected), 1e-9 * max(abs(actual), abs(expected)),
                                 "\(message): \(actual) vs pycocoevalcap \(expected)", file: file, line: line)
    }

    func testFixtureCoversTheCases() {
        XCTAssertEqual(fixture.corpora.map(\.name), ["main", "small", "single"])
        XCTAssertGreaterThanOrEqual(fixture.corpora[0].ids.count, 40)
        XCTAssertGreaterThanOrEqual(fixture.normalization.count, 15)
    }

    func testBLEUMatchesPycocoevalcap() throws {
        for c in fixture.corpora {
            let (corpus, perItem) = BLEU.score(try c.corpus())
            XCTAssertEqual(corpus.count, 4)
            XCTAssertEqual(perItem.count, c.ids.count)
            for n in 0..<4 {
                assertClose(corpus[n], c.bleu[n], "\(c.name) BLEU-\(n + 1)")
                for (i, id) in c.ids.enumerated() {
                    assertClose(perItem[i][n], c.bleuPerItem[n][i], "\(id) BLEU-\(n + 1)")
                }
            }
        }
    }

    func testCIDErDMatchesPycocoevalcap() throws {
        for c in fixture.corpora {
            let (corpus, perItem) = CIDErD.score(try c.corpus())
            assertClose(corpus, c.cider, "\(c.name) CIDEr-D")
            XCTAssertEqual(perItem.count, c.ids.count)
            for (i, id) in c.ids.enumerated() {
                assertClose(perItem[i], c.ciderPerItem[i], "\(id) CIDEr-D")
            }
        }
    }

    /// Per-item BLEU depends only on the item; CIDEr-D's document frequencies come from the
    /// evaluated corpus, so every item alone (a one-item corpus) scores 0.
    func testOnlyCIDErDDependsOnTheRestOfTheCorpus() throws {
        let main = try fixture.corpora[0].corpus()
        let inCorpus = BLEU.score(main).perItem
        for i in main.candidates.indices {
            let alone = try CaptionCorpus(candidates: [main.candidates[i]], references: [main.references[i]])
            XCTAssertEqual(BLEU.score(alone).perItem, [inCorpus[i]], "item \(i)")
            XCTAssertEqual(CIDErD.score(alone).corpus, 0, "item \(i)")
        }
        XCTAssertGreaterThan(CIDErD.score(main).corpus, 1)
    }

    func testBLEUOfLowerMaxNIsAPrefix() throws {
        let main = try fixture.corpora[0].corpus()
        let four = BLEU.score(main), two = BLEU.score(main, maxN: 2)
        XCTAssertEqual(two.corpus, Array(four.corpus.prefix(2)))
        XCTAssertEqual(two.perItem, four.perItem.map { Array($0.prefix(2)) })
    }

    /// The smoothing constants, written out for a two-token candidate equal to its reference:
    /// BLEU-1 is just below 1, and each order without candidate n-grams is a factor 1e-6.
    func testBLEUSmoothingOfAShortExactMatch() throws {
        let scores = BLEU.score(try CaptionCorpus(candidates: ["a dog"], references: [["a dog"]])).corpus
        let empty = 1e-15 / 1e-9, ratio = (2 + 1e-15) / (2 + 1e-9)
        let p1 = (2 + 1e-15) / (2 + 1e-9), p2 = p1 * ((1 + 1e-15) / (1 + 1e-9)), p3 = p2 * empty, p4 = p3 * empty
        let penalty = exp(1 - 1 / ratio)
        XCTAssertEqual(scores, [p1, pow(p2, 1.0 / 2), pow(p3, 1.0 / 3), pow(p4, 1.0 / 4)].map { $0 * penalty })
        XCTAssertLessThan(scores[0], 1)
        XCTAssertEqual(scores[2], 0.01, accuracy: 1e-9)
        XCTAssertEqual(scores[3], 0.001, accuracy: 1e-9)
    }

    /// Tokens are compared by Unicode scalars, as in Python: precomposed and decomposed
    /// "café" do not match, although Swift's String == says they are equal.
    func testTokensAreComparedByScalars() throws {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        XCTAssertEqual(composed, decomposed)
        let differ = try CaptionCorpus(candidates: [composed], references: [[decomposed]])
        let same = try CaptionCorpus(candidates: [composed], references: [[composed]])
        XCTAssertLessThan(BLEU.score(differ).corpus[0], 1e-6)
        XCTAssertGreaterThan(BLEU.score(same).corpus[0], 0.99)
    }

    func testNormalizationContract() {
        for (raw, expected) in fixture.normalization.map({ ($0.raw, $0.normalized) }) {
            XCTAssertEqual(CaptionNormalization.normalize(raw), expected, "raw: \(raw.debugDescription)")
            XCTAssertEqual(CaptionNormalization.tokens(raw), expected.split(separator: " ").map(String.init))
        }
    }

    func testNormalizationIsIdempotent() {
        for expected in fixture.normalization.map(\.normalized) {
            XCTAssertEqual(CaptionNormalization.normalize(expected), expected)
        }
    }

    func testInvalidCorporaThrowNamingTheProblem() {
        func message(_ candidates: [String], _ references: [[String]]) -> String {
            do {
                _ = try CaptionCorpus(candidates: candidates, references: references)
                return "no error"
            } catch let error as CaptionMetricError {
                XCTAssertEqual(error.description, error.message)
                return error.message
            } catch {
                return "unexpected \(error)"
            }
        }
        XCTAssertEqual(message([], []), "CaptionCorpus: the corpus is empty")
        XCTAssertEqual(message(["a dog", "a cat"], [["a dog"]]), "CaptionCorpus: 2 candidates but 1 reference lists")
        XCTAssertEqual(message(["a", "b", "c"], [["a"], ["b"], []]), "CaptionCorpus: item 2 has no references")
        XCTAssertEqual(message(["a"], [[""]]), "no error")
    }
}
