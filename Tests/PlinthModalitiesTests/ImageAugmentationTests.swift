import XCTest
import PlinthTensor
import PlinthTestSupport
@testable import PlinthModalities

final class ImageAugmentationTests: XCTestCase {
    func testSameSeedSameOutput() throws {
        let image = try ImageDecoder.decode(contentsOf: imageFixture("photo.png"))
        let crop = RandomResizedCrop(size: 24)
        let flip = RandomHorizontalFlip()
        let jitter = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1)
        func run(_ seed: UInt64) -> [Float] {
            let g = RandomGenerator(seed: seed)
            var out: [Float] = []
            for _ in 0..<4 { out += jitter(flip(crop(image, generator: g), generator: g).toTensor(), generator: g).toArray() }
            return out
        }
        XCTAssertEqual(run(3), run(3))
        XCTAssertNotEqual(run(3), run(4))
    }

    func testRandomResizedCropParameters() {
        let g = RandomGenerator(seed: 1)
        for _ in 0..<500 {
            let p = RandomResizedCrop.parameters(width: 150, height: 110, scale: 0.08...1, ratio: (3.0 / 4)...(4.0 / 3), generator: g)
            XCTAssertTrue(p.top >= 0 && p.left >= 0 && p.top + p.height <= 110 && p.left + p.width <= 150)
            let area = Double(p.width * p.height) / (150 * 110)
            XCTAssertTrue(area > 0.06 && area <= 1.0, "\(p)")
        }
        // Impossible scale -> torchvision's center fallback, clamped to the ratio range.
        let p = RandomResizedCrop.parameters(width: 300, height: 100, scale: 5...6, ratio: (3.0 / 4)...(4.0 / 3), generator: g)
        XCTAssertTrue(p == (0, 83, 100, 133), "\(p)")
        let q = RandomResizedCrop.parameters(width: 100, height: 100, scale: 5...6, ratio: (3.0 / 4)...(4.0 / 3), generator: g)
        XCTAssertTrue(q == (0, 0, 100, 100))
        let image = ImageBuffer(width: 150, height: 110, layout: .rgb, pixels: Array(repeating: 9, count: 150 * 110 * 3))
        let out = RandomResizedCrop(size: 32)(image, generator: g)
        XCTAssertEqual([out.width, out.height], [32, 32])
        XCTAssertTrue(out.pixels.allSatisfy { $0 == 9 })
    }

    func testColorOpsMatchTorchvision() throws {
        let st = try Fixtures.open("image/image.safetensors")
        let x = try ImageDecoder.decodeTensor(contentsOf: imageFixture("src_rgb.png"))
        let n = 23 * 37
        let cases: [(String, (inout [Float]) -> Void)] = [
            ("brightness_1.3", { ColorJitter.adjustBrightness(&$0, 1.3) }),
            ("contrast_0.6", { ColorJitter.adjustContrast(&$0, n: n, 0.6) }),
            ("contrast_1.5", { ColorJitter.adjustContrast(&$0, n: n, 1.5) }),
            ("saturation_1.7", { ColorJitter.adjustSaturation(&$0, n: n, 1.7) }),
            ("saturation_0.3", { ColorJitter.adjustSaturation(&$0, n: n, 0.3) }),
            ("hue_0.12", { ColorJitter.adjustHue(&$0, n: n, 0.12) }),
            ("hue_-0.3", { ColorJitter.adjustHue(&$0, n: n, -0.3) }),
        ]
        var worst: Float = 0
        for (key, op) in cases {
            var v = x.toArray()
            op(&v)
            let d = maxAbsDifference(Tensor(v, shape: x.shape), Tensor(try st.floats("jitter.\(key)"), shape: x.shape))
            worst = max(worst, d)
            XCTAssertLessThan(d, 2e-6, key)
        }
        print("ColorJitter ops max |diff| vs torchvision: \(worst)")
    }

    func testResizedCropMatchesTorchvision() throws {
        let src = try ImageDecoder.decode(contentsOf: imageFixture("src_rgb.png"))
        let out = PILResample.resize(src.cropped(left: 5, top: 3, width: 20, height: 15), width: 24, height: 24, filter: .bilinear)
        XCTAssertEqual(try imageMaxDiff(out, "resized_crop.3.5.15.20.24"), 0)
    }

    func testTrainTransform() throws {
        let image = try ImageDecoder.decode(contentsOf: imageFixture("photo.png"))
        let t = TrainImageTransform(size: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
                                    jitter: ColorJitter(brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.05))
        let a = t(image, generator: RandomGenerator(seed: 11))
        XCTAssertEqual(a.shape, [3, 32, 32])
        XCTAssertEqual(a.toArray(), t(image, generator: RandomGenerator(seed: 11)).toArray())
        XCTAssertTrue(a.toArray().allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    func testFlip() {
        let image = ImageBuffer(width: 3, height: 1, layout: .gray, pixels: [1, 2, 3])
        XCTAssertEqual(RandomHorizontalFlip(p: 1)(image, generator: RandomGenerator(seed: 0)).pixels, [3, 2, 1])
        XCTAssertEqual(RandomHorizontalFlip(p: 0)(image, generator: RandomGenerator(seed: 0)).pixels, [1, 2, 3])
    }

    func testColorJitterOps() {
        // One pixel per case, [3, 1, 1] planes: R, G, B.
        var v: [Float] = [0.2, 0.4, 0.6]
        ColorJitter.adjustBrightness(&v, 2)
        XCTAssertEqual(v, [0.4, 0.8, 1.0])
        var s: [Float] = [0.2, 0.4, 0.6]
        ColorJitter.adjustSaturation(&s, n: 1, 0)
        let gray: Float = 0.2989 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6
        for x in s { XCTAssertEqual(x, gray, accuracy: 1e-6) }
        var c: [Float] = [0.2, 0.4, 0.6, 0.8, 0.1, 0.3]  // two pixels
        ColorJitter.adjustContrast(&c, n: 2, 0)
        let mean = ((0.2989 * 0.2 + 0.587 * 0.6 + 0.114 * 0.1) + (0.2989 * 0.4 + 0.587 * 0.8 + 0.114 * 0.3)) / 2
        for x in c { XCTAssertEqual(x, Float(mean), accuracy: 1e-6) }
        // Hue: a shift of 1/3 maps pure red to pure green; zero shift is the identity.
        var h: [Float] = [1, 0, 0]
        ColorJitter.adjustHue(&h, n: 1, 1.0 / 3)
        XCTAssertEqual(h[0], 0, accuracy: 1e-5); XCTAssertEqual(h[1], 1, accuracy: 1e-5); XCTAssertEqual(h[2], 0, accuracy: 1e-5)
        var id: [Float] = [0.3, 0.7, 0.5]
        ColorJitter.adjustHue(&id, n: 1, 0)
        for (a, b) in zip(id, [Float(0.3), 0.7, 0.5]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}
