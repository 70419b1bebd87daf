import Foundation
import PlinthAdapters
import PlinthNN
import PlinthTestSupport
import XCTest

/// Ranks and recall against open_clip's `get_clip_metrics` (and its many-to-one
/// generalization) in Tests/Fixtures/retrieval/retrieval.safetensors, made by
/// scripts/fixtures/gen_retrieval.py.
final class RetrievalMetricsGoldenTests: XCTestCase {
    let file = try! Fixtures.open("retrieval/retrieval.safetensors")
    func t(_ key: String) -> Tensor { try! file.tensor(key) }
    func ints(_ key: String) -> [Int] { t(key).toArray().map { Int($0) } }

    /// The A -> B positives of a case (identity unless the fixture lists them).
    func positives(_ c: String) -> [Int] {
        file.entries["\(c).positives"] != nil ? ints("\(c).positives") : Array(0..<t("\(c).image").shape[0])
    }

    /// Every open_clip metric of a report equals the fixture's (stored as F32).
    func assertMatchesOpenCLIP(_ report: PairedRetrievalReport, _ c: String, _ origin: String) {
        let metrics = report.openCLIPMetrics()
        let expectedKeys = Set(file.names.filter { $0.hasPrefix("\(c).") && $0.contains("_to_") && !$0.contains(".ranks")
            && !$0.contains(".queries") }.map { String($0.dropFirst(c.count + 1)) })
        XCTAssertEqual(Set(metrics.keys), expectedKeys, "\(c) \(origin)")
        for (key, value) in metrics {
            XCTAssertEqual(Float(value), t("\(c).\(key)").item(), "\(c) \(origin) \(key)")
        }
    }

    func testRanksFromLogitsMatchReferenceExactly() {
        for c in ["o2o", "ties", "m2o"] {
            let logits = t("\(c).logits_per_image"), pos = positives(c)
            XCTAssertEqual(RetrievalMetrics.ranks(similarity: logits, positives: pos.map { [$0] }),
                           ints("\(c).image_to_text.ranks"), c)
            let queries = ints("\(c).text_to_image.queries")
            let sets = queries.map { q in pos.indices.filter { pos[$0] == q } }
            // All captions are queries: the transposed view, read in place (unit-stride queries).
            // Otherwise: a contiguous copy of the query rows.
            let transposed = queries.count == logits.shape[1] ? logits.T : logits.T.indexSelect(dim: 0, indices: queries)
            XCTAssertEqual(RetrievalMetrics.ranks(similarity: transposed, positives: sets), ints("\(c).text_to_image.ranks"), c)

            let report = RetrievalMetrics.evaluate(similarity: logits, positives: pos)
            XCTAssertEqual(report.aToB, RetrievalReport(ranks: ints("\(c).image_to_text.ranks")), c)
            XCTAssertEqual(report.bToA, RetrievalReport(ranks: ints("\(c).text_to_image.ranks")), c)
            XCTAssertEqual(report.bToA.count, queries.count, c)
            assertMatchesOpenCLIP(report, c, "from logits")
        }
    }

    /// From raw embeddings: Swift's own cosines (BLAS) give the same ranks, since the
    /// fixture keeps every target away from its neighbours (o2o) or exact (sign vectors).
    func testEvaluateFromEmbeddingsMatchesReference() {
        for c in ["o2o", "ties", "m2o"] {
            let report = RetrievalMetrics.evaluate(t("\(c).image"), t("\(c).text"), positives: positives(c))
            XCTAssertEqual(report.aToB, RetrievalReport(ranks: ints("\(c).image_to_text.ranks")), c)
            XCTAssertEqual(report.bToA, RetrievalReport(ranks: ints("\(c).text_to_image.ranks")), c)
            assertMatchesOpenCLIP(report, c, "from embeddings")
        }
    }

    func testManyToOneLeavesOutCaptionsWithoutImages() {
        let pos = positives("m2o")
        XCTAssertFalse(pos.contains(11))
        let report = RetrievalMetrics.evaluate(t("m2o.image"), t("m2o.text"), positives: pos)
        XCTAssertEqual(report.aToB.count, 30)
        XCTAssertEqual(report.bToA.count, 11)
    }
}
