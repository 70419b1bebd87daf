import Foundation
import PlinthRecipes
import XCTest

/// MetricsLog: the exact JSON of a record, unbuffered appends, resume
/// truncation, torn-line repair and errors that name the file.
final class RunMetricsLogTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private var url: URL { directory.appendingPathComponent("metrics.jsonl") }

    private func lines() throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    private func steps() throws -> [Int?] {
        try lines().filter { !$0.isEmpty }.map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
            return object["step"] as? Int
        }
    }

    func testRecordIsOrderedJSONWrittenImmediately() throws {
        let log = try MetricsLog(url: url)
        try log.append([
            ("step", 10), ("epoch", 0), ("loss", .number(Float(1.23))), ("logit_scale", .number(14.2)),
            ("lr", 0.0005), ("items_per_s", 800), ("note", "say \"hi\"\n"), ("finite", .number(Double.nan)),
            ("time", .time(Date(timeIntervalSince1970: 1_795_298_400))),
        ])
        // Read back before close: nothing is buffered in the process.
        let expected = #"{"step": 10, "epoch": 0, "loss": 1.23, "logit_scale": 14.2, "lr": 0.0005, "items_per_s": 800, "#
            + #""note": "say \"hi\"\n", "finite": null, "time": "2026-11-21T22:00:00Z"}"#
        XCTAssertEqual(try lines(), [expected, ""])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [String: Any])
        XCTAssertEqual(object["note"] as? String, "say \"hi\"\n")
        XCTAssertEqual(object["loss"] as? Double, 1.23)

        try log.append(["step": 20, "ok": true])
        XCTAssertEqual(try lines().dropFirst(), [#"{"step": 20, "ok": true}"#, ""])
    }

    func testReopeningAppends() throws {
        try MetricsLog(url: url).append(["step": 1])
        let log = try MetricsLog(url: url)
        try log.append(["step": 2])
        log.close()
        log.close()
        XCTAssertEqual(try steps(), [1, 2])
    }

    func testResumeDropsRecordsAfterTheCheckpointStep() throws {
        let log = try MetricsLog(url: url)
        for step in stride(from: 10, through: 50, by: 10) { try log.append(["step": .int(step), "loss": 1.5]) }
        try log.append(["event": "eval"])
        log.close()

        let resumed = try MetricsLog(url: url, truncatingAfter: 30)
        XCTAssertEqual(try steps(), [10, 20, 30, nil], "records after step 30 removed, stepless records kept")
        try resumed.append(["step": 40, "loss": 1.25])
        XCTAssertEqual(try steps(), [10, 20, 30, nil, 40])
    }

    func testTornLastLineIsDropped() throws {
        try Data(#"{"step": 1}"#.utf8 + [10] + #"{"step": 2, "lo"#.utf8).write(to: url)
        let log = try MetricsLog(url: url)
        try log.append(["step": 2])
        XCTAssertEqual(try lines(), [#"{"step": 1}"#, #"{"step": 2}"#, ""])
    }

    func testMalformedRecordNamesFileAndLine() throws {
        try Data("{\"step\": 1}\nnot json\n".utf8).write(to: url)
        XCTAssertThrowsError(try MetricsLog(url: url, truncatingAfter: 0)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path) && text.contains("line 2"), text)
        }
        try Data("{\"step\": \"seven\"}\n".utf8).write(to: url)
        XCTAssertThrowsError(try MetricsLog(url: url, truncatingAfter: 0)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path) && text.contains("line 1") && text.contains("integer"), text)
        }
    }

    func testMissingDirectoryNamesPath() {
        let missing = directory.appendingPathComponent("no/such/metrics.jsonl")
        XCTAssertThrowsError(try MetricsLog(url: missing)) { error in
            XCTAssertTrue("\(error)".contains(missing.path), "\(error)")
        }
    }
}
