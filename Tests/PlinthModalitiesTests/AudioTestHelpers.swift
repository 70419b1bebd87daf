import Foundation
import PlinthModalities
import PlinthNN
import PlinthTensor
import PlinthTestSupport
import XCTest

/// Shared access to Tests/Fixtures/audio (made by scripts/fixtures/gen_audio.py).
enum AudioFixtures {
    static let directory = Fixtures.directory.appendingPathComponent("audio")
    /// Fixture signals and their sample rates.
    static let rates = ["s8k": 8000, "s22k": 22050, "s44k": 44100, "s48k": 48000]
    static let files = ["s8k": "s8k.wav", "s8k_float": "s8k_float.wav", "s22k": "s22k.flac",
                        "s44k": "s44k.wav", "s48k": "s48k.ogg"]

    nonisolated(unsafe) private static var cached: SafetensorsFile?
    static func golden() throws -> SafetensorsFile {
        if let cached { return cached }
        let f = try Fixtures.open("audio/audio.safetensors")
        cached = f
        return f
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(files[name]!).path }
}

/// Max and RMS absolute difference between two equally long arrays.
func audioDiff(_ a: [Float], _ b: [Float]) -> (max: Float, rms: Float) {
    precondition(a.count == b.count, "audioDiff: \(a.count) vs \(b.count) values")
    var m: Float = 0, s = 0.0
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        m = max(m, d)
        s += Double(d) * Double(d)
    }
    return (m, Float((s / Double(max(a.count, 1))).squareRoot()))
}

/// A unique scratch path under the temporary directory (caller removes it).
func audioScratchPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("plinth-audio-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)-\(name)").path
}
