import Foundation
import XCTest
import PlinthTensor
import PlinthTestSupport
@testable import PlinthModalities

final class ImageWriterTests: XCTestCase {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("plinth-w-\(UUID().uuidString)-\(name)").path
    }

    func testRoundTripAllLayouts() throws {
        let src = try ImageDecoder.decode(contentsOf: imageFixture("rgba8.png"))
        let layouts: [(ColorLayout, ImageBuffer)] = [
            (.rgba, src), (.rgb, src.rgb()),
            (.gray, try ImageDecoder.decode(contentsOf: imageFixture("gray8.png"))),
            (.grayAlpha, try ImageDecoder.decode(contentsOf: imageFixture("graya8.png"))),
        ]
        for (layout, image) in layouts {
            let path = tempPath("rt.png")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try PNGWriter.write(image, to: path)
            let back = try ImageDecoder.decode(contentsOf: path)
            XCTAssertEqual(back.layout, layout)
            XCTAssertEqual(back.pixels, image.pixels, "\(layout)")
        }
    }

    func testTensorRoundsAndClamps() throws {
        // [1, 1, 5] gray: below 0, above 1, NaN, and two rounding cases.
        let t = Tensor([-0.5, 1.5, .nan, 0.5 / 255, 100.4 / 255], shape: [1, 1, 5])
        let path = tempPath("t.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PNGWriter.write(t, to: path)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: path).pixels, [0, 255, 0, 1, 100])
        // Tensor -> PNG -> tensor is exact for multiples of 1/255.
        let photo = try ImageDecoder.decodeTensor(contentsOf: imageFixture("photo.png"))
        try PNGWriter.write(photo, to: path)
        XCTAssertEqual(maxAbsDifference(try ImageDecoder.decodeTensor(contentsOf: path), photo), 0)
    }

    func testAtomicWriteLeavesNoTempFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.png").path
        let image = ImageBuffer(width: 3, height: 2, layout: .rgb, pixels: Array(0..<18))
        try PNGWriter.write(image, to: path)
        try PNGWriter.write(image.flippedHorizontally(), to: path)  // overwrite in place
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.png"])
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: path).pixels, image.flippedHorizontally().pixels)
        let bad = dir.appendingPathComponent("no/such/dir/x.png").path
        XCTAssertThrowsError(try PNGWriter.write(image, to: bad)) { XCTAssertEqual(($0 as? ImageError)?.kind, .writeFailed) }
    }

    func testGridLayout() throws {
        let batch = Tensor((0..<(5 * 3 * 4 * 6)).map { Float($0 % 7) / 6 }, shape: [5, 3, 4, 6])
        let grid = PNGWriter.grid(batch, padding: 2, padValue: 1)
        // 5 images -> 3 columns x 2 rows; 2 px padding around and between.
        XCTAssertEqual(grid.shape, [3, 2 * 6 + 2, 3 * 8 + 2])
        let g = grid.toArray(), b = batch.toArray()
        let gw = 26, gh = 14
        // Image 4 (row 1, col 1), channel 2, pixel (y 3, x 5).
        XCTAssertEqual(g[(2 * gh + 2 + 6 + 3) * gw + 2 + 8 + 5], b[((4 * 3 + 2) * 4 + 3) * 6 + 5])
        XCTAssertEqual(g[0], 1)
        let path = tempPath("grid.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PNGWriter.writeGrid(batch, to: path)
        let back = try ImageDecoder.decode(contentsOf: path)
        XCTAssertEqual([back.width, back.height], [26, 14])
    }
}
