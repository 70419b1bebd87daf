import PlinthModalities
import PlinthTestSupport
import XCTest

/// The card-driven pipeline reproduces ImageBind's features from a file.
final class AudioPipelineTests: XCTestCase {
    func testImageBindPresetFromFile() throws {
        let pipeline = try AudioPipeline(preset: ModalityCards.load(AudioPreset.self, preset: "imagebind"))
        let out = try pipeline(contentsOf: AudioFixtures.directory.appendingPathComponent("s44k.wav"))
        XCTAssertEqual(out.shape, [128, 204])
        let d = audioDiff(out.toArray(), try AudioFixtures.golden().floats("imagebind.s44k"))
        XCTAssertLessThan(d.max, 1e-3)
    }

    func testWhisperPresetPadsToThirtySeconds() throws {
        let pipeline = try AudioPipeline(preset: ModalityCards.load(AudioPreset.self, preset: "whisper"))
        XCTAssertEqual(try pipeline(contentsOf: AudioFixtures.directory.appendingPathComponent("s48k.ogg")).shape, [80, 3000])
    }
}
