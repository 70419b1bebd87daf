import Foundation
import PlinthData
import PlinthRecipes
import PlinthTestSupport
import XCTest

/// `plinth import` of a model no preset fits: it is written, and what it cannot serve is refused by name.
final class ModelImportTests: XCTestCase {
    func testImportWithoutPresetsWritesTheModelAndRefusesUnservedModalities() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-import-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = Fixtures.directory.appendingPathComponent("import/hf_clip_tiny")
        let (url, card) = try ModelImport(source: source).write(to: out)
        XCTAssertNil(card.imagePreset)          // 32 px: no shipped preset fits
        XCTAssertNil(card.textTokenizer)        // the fixture has no tokenizer files
        XCTAssertNil(card.recipe)
        let embedder = try Embedder(modelFile: url)
        let image = ManifestRecord(id: "cow", image: Assets.samples.appendingPathComponent("cow.png").path, split: .test)
        XCTAssertThrowsError(try embedder.embed(records: [image], field: .image)) {
            XCTAssertTrue("\($0)".contains("no image preset"), "\($0)")
        }
        XCTAssertThrowsError(try embedder.embed(texts: ["a cow"])) { XCTAssertTrue("\($0)".contains("names no tokenizer"), "\($0)") }

        var withPreset = try ModelImport(source: source)
        withPreset.imagePreset = "small"
        let model = try withPreset.write(to: out).model
        XCTAssertEqual(try Embedder(modelFile: model).embed(records: [image], field: .image).shape, [1, 24])
    }
}
