import XCTest
import PlinthTensor
import PlinthTestSupport
@testable import PlinthModalities

final class ImageResizeTests: XCTestCase {
    func testResizeMatchesPIL() throws {
        let src = try ImageDecoder.decode(contentsOf: imageFixture("src_rgb.png"))
        var worst: Float = 0
        for filter in [ImageResizeFilter.bicubic, .bilinear] {
            for (w, h) in [(16, 10), (5, 3), (24, 17), (80, 50), (37, 11), (13, 23), (61, 9), (1, 1)] {
                let out = PILResample.resize(src, width: w, height: h, filter: filter)
                let d = try imageMaxDiff(out, "resize.\(filter.rawValue).\(w)x\(h)")
                worst = max(worst, d)
                XCTAssertEqual(d, 0, "\(filter) \(w)x\(h)")
            }
        }
        print("PIL resize max |diff| (uint8 levels): \(worst)")
    }

    func testResizeIdentityAndGray() {
        let px = (0..<(7 * 5)).map { UInt8($0 * 7 % 256) }
        let gray = ImageBuffer(width: 7, height: 5, layout: .gray, pixels: px)
        XCTAssertEqual(PILResample.resize(gray, width: 7, height: 5, filter: .bicubic).pixels, px)
        let constant = ImageBuffer(width: 9, height: 4, layout: .gray, pixels: Array(repeating: 200, count: 36))
        for (w, h) in [(3, 2), (20, 11)] {
            XCTAssertTrue(PILResample.resize(constant, width: w, height: h, filter: .bicubic).pixels.allSatisfy { $0 == 200 })
        }
    }

    func testResizedSizeAndCenterCropFollowTorchvision() {
        XCTAssertTrue(ImageTransform.resizedSize(width: 150, height: 110, shortest: 224) == (305, 224))
        XCTAssertTrue(ImageTransform.resizedSize(width: 110, height: 150, shortest: 64) == (64, 87))
        XCTAssertTrue(ImageTransform.resizedSize(width: 224, height: 500, shortest: 224) == (224, 500))
        // (257 - 224) / 2 = 16.5 rounds half to even -> 16.
        let img = ImageBuffer(width: 257, height: 224, layout: .gray, pixels: (0..<(257 * 224)).map { UInt8($0 % 257 % 256) })
        let crop = ImageTransform.centerCrop(img, width: 224, height: 224)
        XCTAssertEqual(crop.pixels[0], 16)
        // Larger than the image: zero padded, left pad = (out - in) / 2.
        let small = ImageBuffer(width: 2, height: 2, layout: .gray, pixels: [1, 2, 3, 4])
        XCTAssertEqual(ImageTransform.centerCrop(small, width: 5, height: 3).pixels,
                       [0, 1, 2, 0, 0,  0, 3, 4, 0, 0,  0, 0, 0, 0, 0])
    }
}
