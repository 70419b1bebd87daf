import Foundation
import PlinthData
import PlinthModalities
import XCTest

/// The Tux Paint stamps converter, and espeak-ng speech for captions without a recording.
final class TuxPaintTests: XCTestCase {
    static let stamps = "/usr/share/tuxpaint/stamps"

    func testStampsWithoutSynthesis() throws {
        let fm = FileManager.default
        let conversion = try TuxPaint(synthesizeSpeech: false).convert(into: try temporaryDirectory(), seed: 0, progress: nil)
        let records = conversion.records
        XCTAssertGreaterThan(records.count, 700)
        XCTAssertGreaterThan(conversion.skipped["svg_only"] ?? 0, 100)
        for r in records {
            let base = Self.stamps + "/" + r.id.dropFirst("tuxpaint/".count)
            XCTAssertEqual(r.image, base + ".png")
            XCTAssertTrue(fm.fileExists(atPath: r.image!), r.id)
            XCTAssertFalse((r.text ?? "").isEmpty, r.id)
            XCTAssertEqual(r.speech, fm.fileExists(atPath: base + "_desc.ogg") ? base + "_desc.ogg" : nil, r.id)
            XCTAssertEqual(r.audio, fm.fileExists(atPath: base + ".ogg") ? base + ".ogg" : nil, r.id)
            XCTAssertEqual(r.category, r.id.split(separator: "/")[1].description)
        }
        XCTAssertGreaterThan(records.filter { $0.audio != nil }.count, 100)
        XCTAssertGreaterThan(records.filter { $0.speech != nil }.count, 50)
        let badger = try XCTUnwrap(records.first { $0.id == "tuxpaint/animals/mammals/badger" })
        XCTAssertEqual(badger.text, "A badger.")
        XCTAssertEqual(badger.category, "animals")
        XCTAssertEqual(badger.speech, Self.stamps + "/animals/mammals/badger_desc.ogg")
        XCTAssertEqual(records.filter { $0.split == .test }.count, records.count / 10)
        XCTAssertEqual(records.filter { $0.split == .val }.count, records.count / 10)
    }

    func testSynthesizesOneMissingCaptionOnce() throws {
        let dir = try temporaryDirectory()
        let stamps = dir.appendingPathComponent("stamps/animals/birds")
        try FileManager.default.createDirectory(at: stamps, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.stamps + "/animals/mammals/badger.png", toPath: stamps.appendingPathComponent("tit.png").path)
        try Data("--help: a little bird.\nfr.utf8=Un petit oiseau.\n".utf8).write(to: stamps.appendingPathComponent("tit.txt"))
        try Data("An owl.\n".utf8).write(to: stamps.appendingPathComponent("owl.txt"))
        try Data("<svg/>".utf8).write(to: stamps.appendingPathComponent("owl.svg"))
        let converter = TuxPaint(stampsDirectory: dir.appendingPathComponent("stamps"))
        let calls = Calls()
        let out = dir.appendingPathComponent("data")
        let conversion = try converter.convert(into: out, seed: 0, progress: { calls.add($0, $1) })
        XCTAssertEqual(conversion.skipped, ["svg_only": 1])
        XCTAssertEqual(calls.all, [[1, 1]])
        let record = try XCTUnwrap(conversion.records.first)
        XCTAssertEqual(record.speech, out.appendingPathComponent("speech/animals/birds/tit.wav").path)
        let wave = try AudioDecoder.decode(path: record.speech!)
        XCTAssertEqual(wave.sampleRate, 22050)
        XCTAssertGreaterThan(wave.duration, 0.5)
        XCTAssertGreaterThan(wave.samples.toArray().map(abs).max() ?? 0, 0.05)

        let modified = try FileManager.default.attributesOfItem(atPath: record.speech!)[.modificationDate] as? Date
        XCTAssertEqual(try converter.convert(into: out, seed: 0, progress: { calls.add($0, $1) }).records, conversion.records)
        XCTAssertEqual(calls.all, [[1, 1]])  // cached: nothing synthesized
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: record.speech!)[.modificationDate] as? Date, modified)
    }

    func testMissingEspeakSaysToRunSetup() throws {
        let synthesizer = SpeechSynthesizer(executable: URL(fileURLWithPath: "/nonexistent/espeak-ng"))
        let e = dataError { try synthesizer.synthesize("A cat.", to: try temporaryDirectory().appendingPathComponent("cat.wav")) }
        XCTAssertEqual(e?.kind, .tool)
        XCTAssertTrue(e?.description.contains("install the Debian package espeak-ng (run scripts/setup.sh)") ?? false)
    }
}

/// Progress calls, recorded from any thread.
private final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [[Int]] = []
    func add(_ done: Int, _ total: Int) { lock.lock(); calls.append([done, total]); lock.unlock() }
    var all: [[Int]] { lock.lock(); defer { lock.unlock() }; return calls }
}
