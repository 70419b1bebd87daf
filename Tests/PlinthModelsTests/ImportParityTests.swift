import Foundation
import PlinthModels
import PlinthNN
import PlinthTestSupport
import XCTest

/// The Hugging Face CLIPModel and open_clip key maps against the reference
/// libraries on small random-weight models (Tests/Fixtures/import/, made by
/// scripts/fixtures/gen_import.py): same embeddings and logits within 1e-4.
final class ImportParityTests: XCTestCase {
    let importDirectory = Fixtures.directory.appendingPathComponent("import")

    /// Image and text embeddings, and exp(logit_scale) * cos between them [N, N], against the fixture's.
    func assertMatches(_ model: MultimodalModel, _ fixture: SafetensorsFile, images: String, ids: String, image: String,
                       text: String) throws {
        let tokens = try fixture.tensor(ids)
        let imageEmbeddings = model.encode(images: try fixture.tensor(images))
        let textEmbeddings = model.encode(text: tokens.toArray().map { Int($0) }, batch: tokens.shape[0])
        let logits = Tensor.matmul(imageEmbeddings.l2Normalized(), textEmbeddings.l2Normalized().transpose(0, 1))
            * Foundation.exp(model.logitScale.item())
        XCTAssertLessThan(maxAbsDifference(imageEmbeddings, try fixture.tensor(image)), 1e-4)
        XCTAssertLessThan(maxAbsDifference(textEmbeddings, try fixture.tensor(text)), 1e-4)
        XCTAssertLessThan(maxAbsDifference(logits, try fixture.tensor("output.logits_per_image")), 1e-4)
    }

    func testHuggingFaceCLIPModelImportMatchesTransformers() throws {
        let imported = try HFCLIPKeyMap.read(directory: importDirectory.appendingPathComponent("hf_clip_tiny"))
        XCTAssertEqual(imported.config.vision?.activation, .quickGELU)
        XCTAssertEqual(imported.config.text?.width, 48)
        XCTAssertEqual(imported.config.vision?.width, 32)
        try assertMatches(try imported.model(source: "hf_clip_tiny"), Fixtures.open("import/hf_clip_tiny_outputs.safetensors"),
                          images: "input.pixel_values", ids: "input.input_ids", image: "output.image_embeds",
                          text: "output.text_embeds")
    }

    func testOpenCLIPStateDictImportMatchesOpenCLIP() throws {
        let imported = try OpenCLIPKeyMap.read(file: importDirectory.appendingPathComponent("open_clip_tiny.safetensors"),
                                               options: .init(visionHeads: 4, textHeads: 4, activation: .quickGELU))
        XCTAssertEqual(imported.config.vision?.imageSize, 32)
        XCTAssertEqual(imported.config.vision?.patchSize, 8)
        XCTAssertEqual(imported.config.text?.contextLength, 16)
        XCTAssertEqual(imported.config.embedDim, 24)
        try assertMatches(try imported.model(source: "open_clip_tiny"), Fixtures.open("import/open_clip_tiny_outputs.safetensors"),
                          images: "input.images", ids: "input.text_ids", image: "output.image_features",
                          text: "output.text_features")
    }

    /// A missing tensor is named, with how many were expected.
    func testMissingTensorIsListed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-import-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = importDirectory.appendingPathComponent("hf_clip_tiny")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: directory.appendingPathComponent("config.json"))
        var tensors = try SafetensorsFile(contentsOf: source.appendingPathComponent("model.safetensors")).tensors()
        tensors["vision_model.encoder.layers.1.self_attn.k_proj.weight"] = nil
        tensors["text_projection.weight"] = nil
        try saveTensors(tensors, to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try HFCLIPKeyMap.read(directory: directory)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("missing tensors (2 of the"), text)
            XCTAssertTrue(text.contains("vision_model.encoder.layers.1.self_attn.k_proj.weight"), text)
            XCTAssertTrue(text.contains("text_projection.weight"), text)
        }
    }

    func testUnsupportedArchitectureNamesWhatIsSupported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-import-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}"#.utf8)
            .write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try BertKeyMap.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("model_type is 'gpt2'; this importer reads 'bert'"), "\(error)")
        }
        XCTAssertThrowsError(try HFCLIPKeyMap.read(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains("this importer reads 'clip'"), "\(error)")
        }
    }
}
