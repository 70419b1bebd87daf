import Foundation
import PlinthModels
import PlinthNN
import PlinthObjectives
import PlinthTestSupport
import XCTest

/// The towers with separate blocks against open_clip 3.3.0's `CLIP` on the same
/// weights (Tests/Fixtures/models/clip_tiny.safetensors, scripts/fixtures/gen_models.py).
final class OpenCLIPParityTests: XCTestCase {
    let config = ModelConfig(
        embedDim: 32,
        shared: SharedConfig(layers: 0, width: 64, heads: 4),
        vision: VisionConfig(imageSize: 32, patchSize: 8, width: 64, layers: 2, heads: 4),
        text: TextConfig(vocabSize: 100, contextLength: 16, width: 64, layers: 2, heads: 4))

    func loaded() throws -> (MultimodalModel, SafetensorsFile) {
        let fixture = try Fixtures.open("models/clip_tiny.safetensors")
        let model = try MultimodalModel(config)
        try model.load(stateDict: fixture.tensors(prefix: "state."))   // strict: the key sets are equal
        model.eval()
        return (model, fixture)
    }

    func testImageAndTextFeaturesMatchOpenCLIP() throws {
        let (model, fixture) = try loaded()
        let images = try fixture.tensor("input.images")
        let ids = try fixture.tensor("input.text_ids").toArray().map { Int($0) }
        let imageFeatures = model.encode(images: images)
        let textFeatures = model.encode(text: ids, batch: 3)
        XCTAssertLessThan(maxAbsDifference(imageFeatures, try fixture.tensor("output.image_features")), 1e-5)
        XCTAssertLessThan(maxAbsDifference(textFeatures, try fixture.tensor("output.text_features")), 1e-5)
    }

    func testContrastiveLossAndGradientsMatchClipLoss() throws {
        let (model, fixture) = try loaded()
        let a = try fixture.tensor("output.image_features"), b = try fixture.tensor("output.text_features")
        a.requiresGrad = true
        b.requiresGrad = true
        let loss = contrastiveLoss(a, b, logitScale: model.logitScale)
        loss.backward()
        XCTAssertEqual(loss.item(), try fixture.tensor("loss.value").item(), accuracy: 1e-5)
        XCTAssertLessThan(maxAbsDifference(a.grad!, try fixture.tensor("loss.grad_image_features")), 1e-6)
        XCTAssertLessThan(maxAbsDifference(b.grad!, try fixture.tensor("loss.grad_text_features")), 1e-6)
        XCTAssertEqual(model.logitScale.grad!.item(), try fixture.tensor("loss.grad_logit_scale").item(), accuracy: 1e-5)
    }
}
