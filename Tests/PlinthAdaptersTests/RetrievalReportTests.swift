import Foundation
import PlinthAdapters
import PlinthNN
import XCTest

/// Hand-checked cases for ranks and reports.
final class RetrievalReportTests: XCTestCase {
    func testReportValues() {
        // 0-based ranks 0, 0, 1, 4, 11, 2: median of the even count is (1 + 2) / 2 = 1.5,
        // floored to 1, plus 1.
        let report = RetrievalReport(ranks: [1, 1, 2, 5, 12, 3])
        XCTAssertEqual(report.r1, 2.0 / 6)
        XCTAssertEqual(report.r5, 5.0 / 6)
        XCTAssertEqual(report.r10, 5.0 / 6)
        XCTAssertEqual(report.meanRank, 24.0 / 6)
        XCTAssertEqual(report.medianRank, 2)
        XCTAssertEqual(report.count, 6)
        XCTAssertEqual(RetrievalReport(ranks: [7, 1, 3]).medianRank, 3)
        XCTAssertEqual(RetrievalReport(ranks: []), RetrievalReport(ranks: []))
        XCTAssertEqual(RetrievalReport(ranks: []).count, 0)
        XCTAssertEqual(RetrievalReport(ranks: []).meanRank, 0)
    }

    func testJSONUsesSnakeCaseKeys() throws {
        let paired = PairedRetrievalReport(aToB: RetrievalReport(ranks: [1, 2]), bToA: RetrievalReport(ranks: [3]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(paired.aToB), as: UTF8.self)
        XCTAssertEqual(json, #"{"count":2,"mean_rank":1.5,"median_rank":1,"r1":0.5,"r10":1,"r5":1}"#)
        let object = try JSONSerialization.jsonObject(with: encoder.encode(paired)) as? [String: Any]
        XCTAssertEqual(object.map { Set($0.keys) }, ["a_to_b", "b_to_a"])
        XCTAssertEqual(try JSONDecoder().decode(PairedRetrievalReport.self, from: encoder.encode(paired)), paired)
    }

    func testOpenCLIPMetricNames() {
        let paired = PairedRetrievalReport(aToB: RetrievalReport(ranks: [1]), bToA: RetrievalReport(ranks: [2]))
        let metrics = paired.openCLIPMetrics()
        XCTAssertEqual(Set(metrics.keys), Set(["image_to_text", "text_to_image"].flatMap { d in
            ["R@1", "R@5", "R@10", "mean_rank", "median_rank"].map { "\(d)_\($0)" }
        }))
        XCTAssertEqual(metrics["text_to_image_mean_rank"], 2)
        XCTAssertEqual(paired.openCLIPMetrics(a: "audio", b: "text")["audio_to_text_R@1"], 1)
    }

    func testTiesRankTheLowerIndexFirstAndTheBestPositiveCounts() {
        let s = Tensor([0.5, 0.9, 0.5, 0.5, 0.1,
                        0.2, 0.2, 0.2, 0.2, 0.2], shape: [2, 5])
        // Query 0: candidate 3 ties with 0 and 2 (ahead: 1, 0, 2); candidate 4 is last.
        XCTAssertEqual(RetrievalMetrics.ranks(similarity: s, positives: [[3], [4]]), [4, 5])
        XCTAssertEqual(RetrievalMetrics.ranks(similarity: s, positives: [[0], [0]]), [2, 1])
        // Several correct candidates: the first of them in the order counts.
        XCTAssertEqual(RetrievalMetrics.ranks(similarity: s, positives: [[4, 2, 3], [3, 1]]), [3, 2])
        // The same through a transposed view.
        XCTAssertEqual(RetrievalMetrics.ranks(similarity: s.T.contiguous().T, positives: [[4, 2, 3], [3, 1]]), [3, 2])
    }
}
