import Foundation
import PlinthData
import XCTest

/// JSONL manifests: exact round trips and errors that name the line and field.
final class ManifestTests: XCTestCase {
    func testRoundTripKeepsEveryFieldAndEscapes() throws {
        let dir = try temporaryDirectory()
        let records = [
            ManifestRecord(id: "tuxpaint/animals/mammals/badger", image: "/abs/badger.png", audio: "/abs/badger.ogg",
                           speech: "/abs/badger_desc.ogg", text: "A \"badger\"\\\n\tÜñï 🐧 \u{1}", label: 3,
                           labelName: "ankle boot", category: "animals", split: .train),
            ManifestRecord(id: "x/2", image: "/data/train-images-idx3-ubyte#17", split: .val),
            ManifestRecord(id: "x/3", text: "", split: .test),
        ]
        let url = dir.appendingPathComponent("sub/manifest.jsonl")
        try Manifest.write(records, to: url)
        XCTAssertEqual(try Manifest.read(from: url), records)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").count, 3)
        XCTAssertTrue(text.hasPrefix(#"{"id": "tuxpaint/animals/mammals/badger", "image": "/abs/badger.png""#))
        XCTAssertTrue(text.contains(#""split": "val"}"#))
        XCTAssertEqual(records[1].idxImage?.path, "/data/train-images-idx3-ubyte")
        XCTAssertEqual(records[1].idxImage?.index, 17)
        XCTAssertNil(records[0].idxImage)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path), ["manifest.jsonl"])
    }

    func testRelativePathsResolveAgainstTheManifestFolderAndBlankLinesAreSkipped() throws {
        let url = try write(["", #"{"id": "a", "image": "img/a.png", "speech": "/abs/a.wav", "split": "train"}"#, "  "])
        let records = try Manifest.read(from: url)
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(records[0].image, url.deletingLastPathComponent().path + "/img/a.png")
        XCTAssertEqual(records[0].speech, "/abs/a.wav")
    }

    func testHasChecksRequestedFields() {
        let r = ManifestRecord(id: "a", image: "/a.png", text: "A.", split: .train)
        XCTAssertTrue(r.has([.image, .text]))
        XCTAssertFalse(r.has([.image, .speech]))
        XCTAssertEqual([r].filter { $0.has([.audio]) }.count, 0)
    }

    func testErrorsNameFileLineAndField() throws {
        let good = #"{"id": "a", "split": "train"}"#
        let cases: [(line: String, field: String?, message: String)] = [
            (#"{"id": "b", "#, nil, "invalid JSON"),
            (#"{"split": "train"}"#, "id", "missing"),
            (#"{"id": "b"}"#, "split", "missing"),
            (#"{"id": "b", "split": "dev"}"#, "split", "'dev' is not one of: train, val, test"),
            (#"{"id": "b", "split": "train", "labels": 3}"#, "labels", "unknown key"),
            (#"{"id": "b", "split": "train", "label": "3"}"#, "label", "wrong type"),
            (#"{"id": "b", "split": "train", "label": -1}"#, "label", "must be >= 0"),
            (#"{"id": "", "split": "train"}"#, "id", "must not be empty"),
            (#"{"id": null, "split": "train"}"#, "id", "null"),
            (#"{"id": "a", "split": "test"}"#, "id", "duplicate id 'a'"),
            (#"["id", "b"]"#, nil, "one JSON object"),
        ]
        for c in cases {
            let url = try write([good, "", c.line])
            guard let e = dataError({ try Manifest.read(from: url) }) else { continue }
            XCTAssertEqual(e.kind, .invalidManifest, c.line)
            XCTAssertEqual(e.line, 3, c.line)
            XCTAssertEqual(e.field, c.field, c.line)
            XCTAssertTrue(e.message.contains(c.message), "\(c.line): \(e.message)")
            XCTAssertTrue(e.description.hasPrefix("data '\(url.path)' line 3"), e.description)
        }
    }

    func testOverlongLineAndMissingFileAreErrors() throws {
        let url = try write([#"{"id": "a", "split": "train", "text": ""# + String(repeating: "x", count: Manifest.maxLineBytes) + #""}"#])
        let e = dataError { try Manifest.read(from: url) }
        XCTAssertEqual(e?.kind, .tooLarge)
        XCTAssertEqual(e?.line, 1)
        let missing = url.deletingLastPathComponent().appendingPathComponent("none.jsonl")
        XCTAssertEqual(dataError { try Manifest.read(from: missing) }?.source, missing.path)
    }

    private func write(_ lines: [String]) throws -> URL {
        let url = try temporaryDirectory().appendingPathComponent("manifest.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }
}
