import Foundation
import XCTest
import PlinthTensor
import PlinthTestSupport
@testable import PlinthModalities

let imageCLIPMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
let imageCLIPStd: [Float] = [0.26862954, 0.26130258, 0.27577711]

final class ImageTransformTests: XCTestCase {
    func testCLIP224CropMatchesTorchvision() throws {
        let clip = try ImageTransform(preset: ModalityCards.load(ImagePreset.self, preset: "clip"))
        let image = try ImageDecoder.decode(contentsOf: imageFixture("photo.png"))
        let crop = clip.resizeAndCrop(image)
        let d = try imageMaxDiff(crop, "clip224.crop")
        print("CLIP 224 resize+crop max |diff| vs torchvision (uint8 levels): \(d)")
        XCTAssertEqual(d, 0)
        let t = try clip(contentsOf: imageFixture("photo.png"))
        XCTAssertEqual(t.shape, [3, 224, 224])
        let expected = try Fixtures.open("image/image.safetensors").floats("clip224.crop")
        let v = t.toArray()
        var worst: Float = 0
        for c in 0..<3 {
            for i in 0..<(224 * 224) {
                let e = (expected[i * 3 + c] / 255 - imageCLIPMean[c]) / imageCLIPStd[c]
                worst = max(worst, abs(v[c * 224 * 224 + i] - e))
            }
        }
        XCTAssertLessThan(worst, 1e-6)
    }

    func testNormalizedPipelinesMatchTorchvision() throws {
        let st = try Fixtures.open("image/image.safetensors")
        let cases: [(ImageTransform, String)] = [
            (ImageTransform(size: 56, resize: 64, filter: .bicubic, mean: imageCLIPMean, std: imageCLIPStd), "clip56.out"),
            (try ImageTransform(preset: ModalityCards.load(ImagePreset.self, preset: "small")), "small32.out"),
        ]
        for (transform, key) in cases {
            let out = try transform(contentsOf: imageFixture("photo.png"))
            let expected = Tensor(try st.floats(key), shape: try st.entry(key).shape)
            let d = maxAbsDifference(out, expected)
            print("\(key) max |diff| vs torchvision: \(d)")
            XCTAssertLessThan(d, 1e-6, key)
        }
    }

    func testBatchMatchesSingleAndReportsBadFile() throws {
        let t = ImageTransform(size: 16, resize: 20, filter: .bicubic, mean: imageCLIPMean, std: imageCLIPStd)
        let files = ["photo.png", "baseline.jpg", "gray8.png", "exif6.jpg", "cmyk.jpg"].map(imageFixture)
        let batch = try t.batch(contentsOf: files)
        XCTAssertEqual(batch.shape, [5, 3, 16, 16])
        let all = batch.toArray()
        for (i, f) in files.enumerated() {
            XCTAssertEqual(Array(all[(i * 768)..<((i + 1) * 768)]), try t(contentsOf: f).toArray(), f)
        }
        let missing = imageFixture("does-not-exist.png")
        XCTAssertThrowsError(try t.batch(contentsOf: [files[0], missing])) { error in
            XCTAssertEqual((error as? ImageError)?.path, missing)
        }
    }
}
