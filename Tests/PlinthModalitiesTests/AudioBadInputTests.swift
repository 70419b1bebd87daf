import Foundation
import PlinthModalities
import XCTest

/// Hostile and broken audio: every case is a thrown `AudioError` naming the file.
final class AudioBadInputTests: XCTestCase {
    private var scratch: [String] = []

    override func tearDown() {
        for p in scratch { try? FileManager.default.removeItem(atPath: p) }
        scratch = []
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let p = audioScratchPath(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        scratch.append(p)
        return p
    }

    private func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: AudioFixtures.path(name))))
    }

    /// A 16-bit mono PCM WAV header for `dataBytes` bytes of data at `rate`, plus `payload`.
    private func wav(rate: UInt32, channels: UInt16 = 1, dataBytes: UInt32, payload: [UInt8]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        var b = Array("RIFF".utf8) + le32(36 + UInt32(payload.count)) + Array("WAVE".utf8)
        b += Array("fmt ".utf8) + le32(16) + le16(1) + le16(channels) + le32(rate)
        b += le32(rate * 2 * UInt32(channels)) + le16(2 * channels) + le16(16)
        b += Array("data".utf8) + le32(dataBytes) + payload
        return b
    }

    private func expectError(_ path: String, _ kinds: [AudioError.Kind], file: StaticString = #filePath,
                             line: UInt = #line) {
        XCTAssertThrowsError(try AudioDecoder.decode(path: path), file: file, line: line) { error in
            guard let e = error as? AudioError else { return XCTFail("not an AudioError: \(error)", file: file, line: line) }
            XCTAssertTrue(kinds.contains(e.kind), "kind \(e.kind) not in \(kinds): \(e)", file: file, line: line)
            XCTAssertEqual(e.source, path, file: file, line: line)
            XCTAssertTrue(e.description.contains(path), file: file, line: line)
            print("\(e.kind): \(e.message)")
        }
    }

    func testMissingAndZeroByteFiles() throws {
        expectError(audioScratchPath("missing.wav"), [.unreadable])
        expectError(try write([], "empty.wav"), [.unreadable])
        XCTAssertThrowsError(try AudioDecoder.decode(data: Data(), name: "mem.wav")) { e in
            XCTAssertEqual((e as? AudioError)?.source, "mem.wav")
        }
        XCTAssertThrowsError(try AudioDecoder.decode(data: Data(repeating: 0x5A, count: 1000))) { e in
            XCTAssertEqual((e as? AudioError)?.source, "<memory>")
        }
        let wavBytes = try fixtureBytes("s8k")
        XCTAssertThrowsError(try AudioDecoder.decode(data: Data(wavBytes.prefix(wavBytes.count / 2)), name: "half")) { e in
            XCTAssertEqual((e as? AudioError)?.kind, .corrupt)
        }
    }

    func testCorruptBytes() throws {
        let garbage = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        expectError(try write(garbage, "garbage.wav"), [.unreadable, .corrupt])
        // A RIFF/WAVE header whose fmt chunk is cut short.
        let header = Array(wav(rate: 16000, dataBytes: 100, payload: []).prefix(30))
        expectError(try write(header, "shortfmt.wav"), [.unreadable, .corrupt])
        // FLAC and OGG with their payload overwritten by garbage after the headers.
        for name in ["s22k", "s48k"] {
            var b = try fixtureBytes(name)
            for i in (b.count / 3)..<b.count { b[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
            let p = try write(b, "corrupt-\(name).\(name == "s22k" ? "flac" : "ogg")")
            expectError(p, [.unreadable, .corrupt])
        }
    }

    func testTruncatedFiles() throws {
        for name in ["s8k", "s22k", "s44k", "s48k"] {
            let b = try fixtureBytes(name)
            let ext = AudioFixtures.files[name]!.split(separator: ".").last!
            expectError(try write(Array(b.prefix(b.count / 2)), "trunc-\(name).\(ext)"), [.corrupt])
        }
    }

    func testZeroFrames() throws {
        expectError(try write(wav(rate: 16000, dataBytes: 0, payload: []), "zero.wav"), [.empty, .unreadable])
    }

    func testAbsurdSampleRates() throws {
        let payload = [UInt8](repeating: 0, count: 200)
        expectError(try write(wav(rate: 0, dataBytes: 200, payload: payload), "rate0.wav"), [.badSampleRate, .unreadable])
        expectError(try write(wav(rate: 2_000_000, dataBytes: 200, payload: payload), "rate2m.wav"),
                    [.badSampleRate, .unreadable])
    }

    func testHugeDeclaredLength() throws {
        // The header claims ~4 GB of samples; the file holds 200 bytes.
        let p = try write(wav(rate: 48000, channels: 8, dataBytes: 0xFFFF_FF00, payload: [UInt8](repeating: 0, count: 200)),
                          "huge.wav")
        expectError(p, [.corrupt, .tooLong])
        // The sample limit is enforced before allocation.
        XCTAssertThrowsError(try AudioDecoder.decode(path: AudioFixtures.path("s44k"),
                                                     limits: .init(maxSamples: 10_000))) { e in
            XCTAssertEqual((e as? AudioError)?.kind, .tooLong)
        }
        XCTAssertThrowsError(try AudioDecoder.decode(path: AudioFixtures.path("s44k"), limits: .init(maxChannels: 1))) { e in
            XCTAssertEqual((e as? AudioError)?.kind, .badChannelCount)
        }
    }

    func testInvalidProcessingArguments() throws {
        XCTAssertThrowsError(try Resampler(from: 0, to: 16000))
        XCTAssertThrowsError(try Resampler(from: 16000, to: -1))
        XCTAssertThrowsError(try WhisperLogMel()([Float](repeating: 0, count: 100)))
        let audio = Waveform(mono: [Float](repeating: 0, count: 100), sampleRate: 8000)
        XCTAssertThrowsError(try ImageBindFbank()(audio))
        XCTAssertThrowsError(try Resampler(from: 16000, to: 8000)(audio))
        // Too short for one Kaldi frame: no frames, ImageBind output is all padding.
        XCTAssertEqual(KaldiFbank()([Float](repeating: 0.1, count: 100)).shape, [0, 128])
        let padded = ImageBindFbank()([Float](repeating: 0.1, count: 100)).toArray()
        XCTAssertTrue(padded.allSatisfy { abs($0 - 4.268 / 9.138) < 1e-6 })
    }
}
