import Foundation
import PlinthData
import PlinthModalities
import XCTest

/// The Asterisk prompts converter on the installed Debian files.
final class AsteriskTests: XCTestCase {
    func testRecordsHaveExistingSpeechAndSeededSplits() throws {
        let dir = try temporaryDirectory()
        let conversion = try Asterisk().convert(into: dir, seed: 0, progress: nil)
        let records = conversion.records
        XCTAssertGreaterThan(records.count, 500)
        for r in records {
            XCTAssertTrue(FileManager.default.fileExists(atPath: r.speech ?? ""), r.id)
            XCTAssertFalse((r.text ?? "").isEmpty, r.id)
        }
        let one = try XCTUnwrap(records.first { $0.id == "asterisk/digits/1" })
        XCTAssertEqual(one.category, "digits")
        XCTAssertEqual(one.speech, "/usr/share/asterisk/sounds/en_US_f_Allison/digits/1.wav")
        XCTAssertEqual(records.first { $0.id == "asterisk/activated" }?.text, "Activated.")
        XCTAssertEqual(records.first { $0.id == "asterisk/activated" }?.category, "prompts")
        XCTAssertEqual(records.filter { $0.split == .val }.count, records.count / 10)
        XCTAssertEqual(records.filter { $0.split == .test }.count, records.count / 10)
        XCTAssertEqual(try Asterisk().convert(into: dir, seed: 0, progress: nil).records, records)
        XCTAssertNotEqual(try Asterisk().convert(into: dir, seed: 7, progress: nil).records.map(\.split), records.map(\.split))

        let summary = try Datasets.build(Asterisk(), name: "asterisk", dataDirectory: dir)
        XCTAssertEqual(summary.total, records.count)
        XCTAssertEqual(summary.skipped, conversion.skipped)
        XCTAssertEqual(try Manifest.read(from: summary.manifest), records)
        XCTAssertEqual(try Datasets.manifest(named: "asterisk", dataDirectory: dir), summary.manifest)
    }

    func testSpeechLoadsThroughTheAudioPipeline() throws {
        let records = try Asterisk().convert(into: try temporaryDirectory(), seed: 0, progress: nil).records
        let preset = try ModalityCards.load(AudioPreset.self, preset: "small")
        let pipeline = try AudioPipeline(preset: preset)
        let loader = try DataLoader(records: Array(records.prefix(3)), fields: [.speech, .text],
                                    preprocessing: Preprocessing(audio: pipeline), batchSize: 3, workers: 1)
        let batch = try XCTUnwrap(try loader.batches(epoch: 0).next())
        XCTAssertEqual(batch.speech?.shape, [3, 1, preset.melBins, try XCTUnwrap(preset.targetFrames)])
        XCTAssertEqual(batch.captions, batch.records.map(\.text!))
        XCTAssertNil(batch.labels)
    }

    func testMalformedTranscriptLineIsNamed() throws {
        let dir = try temporaryDirectory()
        let list = dir.appendingPathComponent("sounds.txt")
        try Data("; comment\n\nactivated: Activated.\nno colon here\n".utf8).write(to: list)
        let converter = Asterisk(transcripts: list)
        let e = dataError { try converter.convert(into: dir, seed: 0, progress: nil) }
        XCTAssertEqual(e?.source, list.path)
        XCTAssertEqual(e?.line, 4)
        try Data("../../etc/passwd: Nope.\n".utf8).write(to: list)
        XCTAssertEqual(dataError { try converter.convert(into: dir, seed: 0, progress: nil) }?.line, 1)
        let missing = Asterisk(transcripts: dir.appendingPathComponent("none.txt.gz"))
        XCTAssertTrue(dataError { try missing.convert(into: dir, seed: 0, progress: nil) }?.description
            .contains("asterisk-core-sounds-en (run scripts/setup.sh)") ?? false)
    }
}
