import Foundation
import PlinthModalities
import XCTest

final class ModalityCardTests: XCTestCase {
    func testShippedPresetsLoad() throws {
        let clip = try ModalityCards.load(ImagePreset.self, preset: "clip")
        XCTAssertEqual(clip.size, 224)
        XCTAssertEqual(clip.mean, [0.48145466, 0.4578275, 0.40821073])
        let imagebind = try ModalityCards.load(AudioPreset.self, preset: "imagebind")
        XCTAssertEqual(imagebind.melBins, 128)
        XCTAssertEqual(imagebind.targetFrames, 204)
        XCTAssertEqual(imagebind.mean, -4.268)
        let whisper = try ModalityCards.load(AudioPreset.self, preset: "whisper")
        XCTAssertEqual(whisper.nFft, 400)
        XCTAssertEqual(try ModalityCards.load(TextPreset.self, preset: "clip").contextLength, 77)
        XCTAssertEqual(try ModalityCards.presets("text"), ["bert-uncased", "clip", "minilm", "small"])
        for modality in ["image", "audio", "text"] {
            XCTAssertTrue(try ModalityCards.presets(modality).contains("small"), modality)
        }
    }

    /// The trained `small` tokenizer: its size, CLIP framing with end-of-text as the largest id, a round trip.
    func testSmallTokenizer() throws {
        let tokenizer = try TextTokenizers.load(preset: ModalityCards.load(TextPreset.self, preset: "small"))
        XCTAssertEqual(tokenizer.vocabularySize, 1867)
        let row = try tokenizer.tokenize("A photo of a sneaker.")
        XCTAssertEqual(row.ids.count, 32)
        XCTAssertEqual(row.ids.max(), 1866)
        XCTAssertEqual(try tokenizer.decodeTokenized(row.ids), "a photo of a sneaker .")
    }

    func testUnknownPresetAndFieldListTheValidOnes() throws {
        XCTAssertThrowsError(try ModalityCards.load(ImagePreset.self, preset: "vit-huge")) {
            let text = String(describing: $0)
            XCTAssertTrue(text.contains("image.yaml") && text.contains("valid presets: clip, imagebind, padded, sim, sim96, small"), text)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-cards-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "presets:\n  odd:\n    size: 8\n    resize: 8\n    interpolation: bilinear\n    mean: [0]\n    std: [1]\n    gamma: 2\n"
            .write(to: dir.appendingPathComponent("image.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModalityCards.load(ImagePreset.self, preset: "odd", directory: dir)) {
            let text = String(describing: $0)
            XCTAssertTrue(text.contains("unknown field(s) gamma") && text.contains("valid fields: size"), text)
        }
        try "presets:\n  odd:\n    size: big\n".write(to: dir.appendingPathComponent("image.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModalityCards.load(ImagePreset.self, preset: "odd", directory: dir)) {
            XCTAssertTrue(String(describing: $0).contains("odd"), String(describing: $0))
        }
    }
}
