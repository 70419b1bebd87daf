import Foundation
import XCTest
import PlinthTensor
import PlinthTestSupport
@testable import PlinthModalities

func imageFixture(_ name: String) -> String { Fixtures.directory.appendingPathComponent("image/\(name)").path }

/// Max |a - b| between a decoded RGB image and a stored [H, W, 3] fixture.
func imageMaxDiff(_ image: ImageBuffer, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
    let st = try Fixtures.open("image/image.safetensors")
    let entry = try st.entry(key)
    XCTAssertEqual(entry.shape, [image.height, image.width, image.channels], key, file: file, line: line)
    guard entry.shape == [image.height, image.width, image.channels] else { return .infinity }
    let expected = try st.floats(key)
    return zip(image.pixels, expected).reduce(0) { max($0, abs(Float($1.0) - $1.1)) }
}

final class ImageDecodeTests: XCTestCase {
    func testPNGVariantsMatchPIL() throws {
        let files: [(String, ColorLayout)] = [
            ("src_rgb.png", .rgb), ("rgba8.png", .rgba), ("gray8.png", .gray), ("graya8.png", .grayAlpha),
            ("gray1.png", .gray), ("palette.png", .rgb), ("palette_trns.png", .rgba), ("gray16.png", .gray),
            ("rgb16.png", .rgb), ("rgb8_interlaced.png", .rgb), ("rgba16_interlaced.png", .rgba),
        ]
        for (name, layout) in files {
            let image = try ImageDecoder.decode(contentsOf: imageFixture(name))
            XCTAssertEqual(image.layout, layout, name)
            XCTAssertEqual(try imageMaxDiff(image.rgb(), "decode.\(name)"), 0, name)
        }
    }

    func testSixteenBitKeepsFullPrecision() throws {
        let image = try ImageDecoder.decode(contentsOf: imageFixture("rgb16.png"))
        let s = try XCTUnwrap(image.samples16)
        XCTAssertEqual(s.count, image.pixels.count)
        XCTAssertTrue(zip(s, image.pixels).allSatisfy { UInt8($0.0 >> 8) == $0.1 })
        let t = image.toTensor(fullPrecision: true)
        XCTAssertEqual(t.shape, [3, 23, 37])
        XCTAssertEqual(t.toArray()[0], Float(s[0]) / 65535)
    }

    func testJPEGVariantsMatchPIL() throws {
        var worst: Float = 0
        for name in ["baseline.jpg", "progressive.jpg", "baseline444.jpg", "gray.jpg", "cmyk.jpg"] {
            let image = try ImageDecoder.decode(contentsOf: imageFixture(name))
            let d = try imageMaxDiff(image.rgb(), "decode.\(name)")
            worst = max(worst, d)
            XCTAssertLessThanOrEqual(d, 1, name)
        }
        print("JPEG decode max |diff| vs PIL: \(worst)")
    }

    func testEXIFOrientations() throws {
        for o in 1...8 {
            let name = "exif\(o).jpg"
            let image = try ImageDecoder.decode(contentsOf: imageFixture(name))
            XCTAssertEqual(try imageMaxDiff(image.rgb(), "decode.\(name)"), 0, name)
            let raw = try ImageDecoder.decode(contentsOf: imageFixture(name), exifOrientation: false)
            XCTAssertEqual(try imageMaxDiff(raw, "decode_raw.\(name)"), 0, name)
            XCTAssertEqual(ExifOrientation.apply(o, to: raw), image, name)
        }
        // The parser reads big- and little-endian TIFF headers.
        let mm: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]
        XCTAssertEqual(mm.withUnsafeBytes { ExifOrientation.parse($0) }, 6)
        let ii: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0]
        XCTAssertEqual(ii.withUnsafeBytes { ExifOrientation.parse($0) }, 3)
        XCTAssertNil(Array(ii.prefix(12)).withUnsafeBytes { ExifOrientation.parse($0) })
    }

    /// A PNG's eXIf chunk is applied as a JPEG's Exif segment (PIL's exif_transpose);
    /// the 16-bit file's full samples turn with its 8-bit ones.
    func testPNGEXIfOrientations() throws {
        for o in [3, 6, 8] {
            let name = "exif\(o).png"
            let image = try ImageDecoder.decode(contentsOf: imageFixture(name))
            XCTAssertEqual(try imageMaxDiff(image.rgb(), "decode.\(name)"), 0, name)
            let raw = try ImageDecoder.decode(contentsOf: imageFixture(name), exifOrientation: false)
            XCTAssertEqual(try imageMaxDiff(raw.rgb(), "decode_raw.\(name)"), 0, name)
            XCTAssertEqual(ExifOrientation.apply(o, to: raw), image, name)
        }
        XCTAssertNotNil(try ImageDecoder.decode(contentsOf: imageFixture("exif8.png")).samples16)
        // Of several eXIf chunks the last counts, as in PIL; a malformed one means no rotation (PIL raises).
        let plain = try Data(contentsOf: URL(fileURLWithPath: imageFixture("src_rgb.png")))
        let tiff = { (o: UInt8) -> [UInt8] in [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0] }
        let twice = insertChunk(insertChunk(plain, "eXIf", tiff(3)), "eXIf", tiff(6))  // file order: 6, then 3
        XCTAssertEqual(try ImageDecoder.decode(twice), ExifOrientation.apply(3, to: try ImageDecoder.decode(plain)))
        XCTAssertEqual(try ImageDecoder.decode(insertChunk(plain, "eXIf", Array(tiff(6).prefix(12)))), try ImageDecoder.decode(plain))
    }

    func testTensorLayout() throws {
        let image = try ImageDecoder.decode(contentsOf: imageFixture("src_rgb.png"))
        let t = try ImageDecoder.decodeTensor(contentsOf: imageFixture("src_rgb.png"))
        XCTAssertEqual(t.shape, [3, 23, 37])
        let v = t.toArray()
        // [C, H, W]: channel 1 of pixel (y 2, x 5).
        let planeIndex: Int = 1 * 23 * 37 + 2 * 37 + 5
        let pixelIndex: Int = (2 * 37 + 5) * 3 + 1
        XCTAssertEqual(v[planeIndex], Float(image.pixels[pixelIndex]) / 255)
        XCTAssertTrue(v.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// PIL ignores gAMA; so does Plinth (libpng's classic API, without gamma transforms).
    func testColorspaceChunksAreIgnoredAsPILDoes() throws {
        let rgb = try Data(contentsOf: URL(fileURLWithPath: imageFixture("src_rgb.png")))
        let gamma = insertChunk(rgb, "gAMA", [0, 1, 0x86, 0xA0])  // gamma 1.0
        XCTAssertEqual(try imageMaxDiff(try ImageDecoder.decode(gamma), "decode.src_rgb.png"), 0)
        // An invalid tRNS (3 bytes for gray) is dropped by libpng: still decodes, values unchanged.
        let gray = try Data(contentsOf: URL(fileURLWithPath: imageFixture("gray8.png")))
        let odd = insertChunk(insertChunk(gray, "gAMA", [0, 0, 0xB1, 0x8F]), "tRNS", [0, 1, 2])
        let image = try ImageDecoder.decode(odd)
        XCTAssertEqual(try imageMaxDiff(image.rgb(), "decode.gray8.png"), 0)
    }

    /// `data` with a chunk inserted right after IHDR (CRC computed).
    func insertChunk(_ data: Data, _ type: String, _ payload: [UInt8]) -> Data {
        var b = [UInt8](data)
        var chunk = [UInt8](repeating: 0, count: 4) + Array(type.utf8) + payload
        let n = payload.count
        chunk[0] = UInt8(n >> 24); chunk[1] = UInt8((n >> 16) & 255); chunk[2] = UInt8((n >> 8) & 255); chunk[3] = UInt8(n & 255)
        let crc = chunk.withUnsafeBytes { PNGCRC.checksum(UnsafeRawBufferPointer(rebasing: $0[4...])) }
        chunk += (0..<4).map { UInt8((crc >> (24 - 8 * UInt32($0))) & 255) }
        b.insert(contentsOf: chunk, at: 8 + 25)
        return Data(b)
    }

    func testFormatDetectionIgnoresExtension() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: imageFixture("baseline.jpg")))
        let image = try ImageDecoder.decode(data, path: "photo.png")
        XCTAssertEqual(image.width, 37)
    }
}
