import Foundation
import PlinthModels
import PlinthNN
import PlinthTestSupport
import XCTest
import Yams

final class MultimodalModelTests: XCTestCase {
    static func config(shared: Int, specific: Int = 1) -> ModelConfig {
        ModelConfig(
            embedDim: 16,
            shared: SharedConfig(layers: shared, width: 32, heads: 4),
            vision: VisionConfig(imageSize: 16, patchSize: 4, width: 32, layers: specific, heads: 4),
            audio: AudioConfig(melBins: 24, frames: 40, patchSize: 8, patchStride: 6, width: 32, layers: specific, heads: 4),
            text: TextConfig(vocabSize: 50, contextLength: 8, width: 32, layers: specific, heads: 4))
    }

    func testShapesForEveryModality() throws {
        let g = RandomGenerator(seed: 1)
        let model = try MultimodalModel(Self.config(shared: 2), generator: g)
        XCTAssertEqual(model.encode(images: .randn([2, 3, 16, 16], generator: g)).shape, [2, 16])
        XCTAssertEqual(model.encode(audio: .randn([3, 1, 24, 40], generator: g)).shape, [3, 16])
        let ids = [48, 5, 6, 49, 0, 0, 0, 0, 48, 7, 49, 0, 0, 0, 0, 0]
        XCTAssertEqual(model.encode(text: ids, batch: 2).shape, [2, 16])
        XCTAssertEqual(model.audio!.config.grid.frequency, 3)
        XCTAssertEqual(model.audio!.config.grid.time, 6)
    }

    func testOpenCLIPKeysWithSeparateTowers() throws {
        let model = try MultimodalModel(Self.config(shared: 0), generator: RandomGenerator(seed: 1))
        let keys = Set(model.namedParameters().map(\.0))
        for key in ["logit_scale", "visual.conv1.weight", "visual.class_embedding", "visual.positional_embedding",
                    "visual.ln_pre.weight", "visual.transformer.resblocks.0.attn.in_proj_weight", "visual.ln_post.bias",
                    "visual.proj", "token_embedding.weight", "positional_embedding", "transformer.resblocks.0.mlp.c_fc.weight",
                    "ln_final.weight", "text_projection", "audio.frequency_embedding", "audio.time_embedding"] {
            XCTAssertTrue(keys.contains(key), key)
        }
        XCTAssertFalse(keys.contains { $0.hasPrefix("backbone") || $0 == "modality_embedding" })
        XCTAssertEqual(model.logitScale.item(), Float(Foundation.log(1 / 0.07)), accuracy: 1e-6)
    }

    func testSharedBlocksAreOneSetOfWeights() throws {
        let g = RandomGenerator(seed: 2)
        let model = try MultimodalModel(Self.config(shared: 2, specific: 0), generator: g)
        XCTAssertFalse(model.namedParameters().contains { $0.0.contains("transformer.resblocks") })
        // Both modalities' losses reach the shared blocks.
        let block = model.backbone!.resblocks[0].attn.inProjWeight
        model.encode(images: .randn([2, 3, 16, 16], generator: g)).sum().backward()
        let fromImages = block.grad!.copy()
        model.zeroGrad()
        model.encode(text: [48, 5, 49, 0, 0, 0, 0, 0], batch: 1).sum().backward()
        XCTAssertGreaterThan(fromImages.abs().sum().item(), 0)
        XCTAssertGreaterThan(block.grad!.abs().sum().item(), 0)
        XCTAssertNotNil(model.modalityEmbedding!.grad)
    }

    func testTextPoolsAtEndOfText() throws {
        let model = try MultimodalModel(Self.config(shared: 1), generator: RandomGenerator(seed: 4))
        model.eval()
        // Tokens after the end-of-text token (the largest id) cannot change a causal model's output.
        let a = model.encode(text: [48, 5, 6, 49, 0, 0, 0, 0], batch: 1).toArray()
        let b = model.encode(text: [48, 5, 6, 49, 7, 8, 9, 10], batch: 1).toArray()
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    /// Appended token rows get ids after the end-of-text token; pooling still finds it,
    /// texts without the new ids embed as before, and a text with one reads its row.
    func testAppendedTokensLeaveOtherTextsAlone() throws {
        let model = try MultimodalModel(Self.config(shared: 1), generator: RandomGenerator(seed: 5))
        model.eval()
        let before = model.encode(text: [48, 5, 6, 49, 0, 0, 0, 0], batch: 1).toArray()
        let ids = model.appendTextTokens(Tensor.randn([2, 32], generator: RandomGenerator(seed: 6)))
        XCTAssertEqual(ids, 50..<52)
        XCTAssertEqual(model.config.text?.vocabSize, 52)
        XCTAssertEqual(model.text?.tokenEmbedding.weight.shape, [52, 32])
        XCTAssertEqual(model.encode(text: [48, 5, 6, 49, 0, 0, 0, 0], batch: 1).toArray(), before)
        let with = model.encode(text: [48, 5, 50, 49, 0, 0, 0, 0], batch: 1).toArray()
        XCTAssertNotEqual(with, before)
        XCTAssertEqual(model.encode(text: [48, 5, 50, 49, 51, 51, 0, 0], batch: 1).toArray(), with, "ids after the end token do not count")
    }

    func testConfigDecodesFromYAMLAndRejectsUnknownKeys() throws {
        let yaml = """
            embed_dim: 16
            shared: {layers: 1, width: 32, heads: 4}
            vision: {image_size: 16, patch_size: 4, width: 32, layers: 1, heads: 4}
            """
        let config = try YAMLDecoder().decode(ModelConfig.self, from: yaml)
        XCTAssertEqual(config.vision?.mlpRatio, 4)
        XCTAssertNoThrow(try config.validate())
        XCTAssertThrowsError(try YAMLDecoder().decode(ModelConfig.self, from: yaml + "\nvison: {}")) { error in
            XCTAssertTrue("\(error)".contains("unknown key 'vison'"), "\(error)")
        }
    }

    func testInvalidConfigNamesTheField() {
        var config = Self.config(shared: 1)
        config.text!.width = 48
        XCTAssertThrowsError(try MultimodalModel(config)) { error in
            XCTAssertTrue("\(error)".contains("'text.width'"), "\(error)")
        }
        config = Self.config(shared: 0)
        config.vision!.patchSize = 5
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("vision.patch_size")) }
    }

    func testPresetsValidate() throws {
        XCTAssertNoThrow(try ModelConfig.tiny(vocabSize: 1000).validate())
        XCTAssertNoThrow(try ModelConfig.vitB16.validate())
        XCTAssertEqual(ModelConfig.vitB16.vision!.patches, 196)
    }
}
