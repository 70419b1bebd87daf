import Foundation
import XCTest
import PlinthTensor
import PlinthTestSupport
@testable import PlinthModalities

final class ImageBadInputTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-image-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: imageFixture(name)))) }

    /// Decodes `data` from memory, returning the thrown ImageError (nil if it decoded).
    func memoryError(_ data: [UInt8]) -> ImageError? {
        do {
            _ = try ImageDecoder.decode(Data(data), path: "fuzz")
            return nil
        } catch {
            return error as? ImageError
        }
    }

    /// Writes `data` to a file and decodes it, returning the thrown ImageError (nil if it decoded).
    func decodeError(_ data: [UInt8], name: String) throws -> ImageError? {
        let path = dir.appendingPathComponent(name).path
        try Data(data).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ImageDecoder.decode(contentsOf: path)
            return nil
        } catch let error as ImageError {
            XCTAssertEqual(error.path, path)
            XCTAssertTrue(error.description.contains(path))
            return error
        }
    }

    func testEmptyAndUnknown() throws {
        XCTAssertEqual(try decodeError([], name: "empty.png")?.kind, .empty)
        XCTAssertEqual(try decodeError(Array("GIF89a....".utf8), name: "x.gif")?.kind, .unknownFormat)
        XCTAssertEqual(try decodeError([0x89, 0x50], name: "short.png")?.kind, .unknownFormat)
        let missing = dir.appendingPathComponent("missing.jpg").path
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: missing)) { XCTAssertEqual(($0 as? ImageError)?.kind, .unreadable) }
    }

    func testEveryTruncationThrows() throws {
        for name in ["src_rgb.png", "rgb8_interlaced.png", "palette_trns.png", "baseline.jpg", "progressive.jpg", "cmyk.jpg"] {
            let full = try bytes(name)
            for n in 0..<full.count {
                XCTAssertNotNil(memoryError(Array(full.prefix(n))), "\(name) truncated to \(n) bytes decoded")
            }
        }
        let error = try decodeError(Array(try bytes("baseline.jpg").dropLast(40)), name: "t.jpg")
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(try decodeError(Array(try bytes("src_rgb.png").dropLast(30)), name: "t.png")?.kind, .truncated)
    }

    func testPNGCorruptionsThrow() throws {
        let full = try bytes("src_rgb.png")
        for i in 8..<full.count {
            var b = full
            b[i] ^= 0x5A
            XCTAssertNotNil(memoryError(b), "flip at \(i) decoded")
        }
        // Corrupt zlib data with a recomputed CRC: reaches libpng, which must report, not abort.
        var b = full
        let idat = try XCTUnwrap(findChunk(b, "IDAT"))
        for k in 0..<min(idat.length, 40) { b[idat.data + k] = UInt8(truncatingIfNeeded: 0xA5 &+ k) }
        fixCRC(&b, idat)
        let error = try decodeError(b, name: "zlib.png")
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertTrue(error?.message.contains("libpng") ?? false, error?.message ?? "")
    }

    /// Damage the Swift checks would reject, fed to the decoders below them (and one
    /// file that passes them): libpng and libjpeg fail fatally, their C error handlers
    /// return the library's message, and it is thrown with the file name.
    func testCodecFatalErrorsAreThrownNotCrashes() throws {
        func check(_ name: String, _ expected: String, kind: ImageError.Kind = .corrupt,
                   _ decode: (String) throws -> ImageBuffer) {
            XCTAssertThrowsError(try decode(name), name) { error in
                let e = error as? ImageError
                XCTAssertEqual(e?.kind, kind, name)
                XCTAssertTrue(e?.description.contains(name) ?? false, name)
                XCTAssertTrue(e?.message.contains(expected) ?? false, "\(name): \(error)")
            }
        }
        let png = try bytes("src_rgb.png")
        let pngHeader = try png.withUnsafeBytes { try PNGStructure.validate($0, path: "src_rgb.png") }
        func readPNG(_ b: [UInt8], _ header: PNGHeader = pngHeader) -> (String) throws -> ImageBuffer {
            { path in try b.withUnsafeBytes { try PNGDecoder.read($0, header: header, path: path) } }
        }
        let idat = try XCTUnwrap(findChunk(png, "IDAT"))
        var badCRC = png
        badCRC[idat.data + idat.length] ^= 1
        check("crc.png", "libpng: IDAT: CRC error", readPNG(badCRC))
        var badZlib = png
        badZlib[idat.data + 1] = 0  // the zlib header's check bits
        fixCRC(&badZlib, idat)
        check("zlib.png", "libpng: IDAT: incorrect header check", readPNG(badZlib))
        check(dir.appendingPathComponent("zlib.png").path, "libpng: IDAT: incorrect header check") { path in
            try Data(badZlib).write(to: URL(fileURLWithPath: path))
            return try ImageDecoder.decode(contentsOf: path)  // passes PNGStructure
        }
        check("cut.png", "libpng: unexpected end of data", kind: .truncated, readPNG(Array(png.prefix(idat.data + idat.length / 2))))
        var narrow = pngHeader
        narrow.width = 1
        check("narrow.png", "libpng: output buffer too small", readPNG(png, narrow))

        let jpg = try bytes("baseline.jpg")
        let jpgHeader = try jpg.withUnsafeBytes { try JPEGStructure.validate($0, path: "baseline.jpg") }
        func readJPEG(_ b: [UInt8]) -> (String) throws -> ImageBuffer {
            { path in try b.withUnsafeBytes { try JPEGDecoder.decompress($0, header: jpgHeader, path: path) } }
        }
        // Two codes of length 1 fill the code space; the codes after them cannot be assigned.
        var badHuffman = jpg
        let counts = try XCTUnwrap(marker(jpg, 0xC4)) + 5  // after FF C4, the length and Tc/Th
        let k = try XCTUnwrap((1..<16).last { jpg[counts + $0] >= 2 })
        badHuffman[counts + k] -= 2
        badHuffman[counts] += 2
        check("huffman.jpg", "libjpeg: Bogus Huffman table definition", readJPEG(badHuffman))
        var badSOS = jpg
        badSOS[try XCTUnwrap(marker(jpg, 0xDA)) + 5] = 99  // the first scan component's id
        check("sos.jpg", "libjpeg: Invalid component ID 99 in SOS", readJPEG(badSOS))
        // Through the public entry, JPEGStructure rejects both first, with the byte offset.
        XCTAssertTrue(memoryError(badHuffman)?.message.contains("bad Huffman table at byte") ?? false)
        XCTAssertTrue(memoryError(badSOS)?.message.contains("unknown or repeated component 99") ?? false)
    }

    func testHugeDimensionsRejectedBeforeAllocation() throws {
        for (w, h) in [(20000, 10), (16384, 16384), (0, 5)] {
            var b = try bytes("src_rgb.png")
            let ihdr = try XCTUnwrap(findChunk(b, "IHDR"))
            for (o, v) in [(0, w), (4, h)] { for k in 0..<4 { b[ihdr.data + o + k] = UInt8((v >> (24 - 8 * k)) & 0xFF) } }
            fixCRC(&b, ihdr)
            let e = try decodeError(b, name: "huge.png")
            XCTAssertEqual(e?.kind, w == 0 ? .corrupt : .tooLarge, "\(w)x\(h)")
        }
        var j = try bytes("baseline.jpg")
        let sof = try XCTUnwrap((0..<(j.count - 1)).first { j[$0] == 0xFF && j[$0 + 1] == 0xC0 })
        j[sof + 5] = 0xFF; j[sof + 6] = 0xFF; j[sof + 7] = 0xFF; j[sof + 8] = 0xFF
        let e = try decodeError(j, name: "huge.jpg")
        XCTAssertEqual(e?.kind, .tooLarge)
        XCTAssertTrue(e?.message.contains("65535 x 65535") ?? false, e?.message ?? "")
    }

    func testJPEGByteFlipsNeverCrash() throws {
        for name in ["baseline.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg", "exif6.jpg", "baseline444.jpg"] {
            let full = try bytes(name)
            var thrown = 0
            for i in 2..<full.count {
                for x: UInt8 in [0xFF, 0x01, 0x80, 0x10, 0x7F] {
                    var b = full
                    b[i] ^= x
                    if memoryError(b) != nil { thrown += 1 }
                }
            }
            XCTAssertGreaterThan(thrown, 0)
        }
        // A flipped SOF precision is a clear error, not a crash.
        var b = try bytes("baseline.jpg")
        let sof = try XCTUnwrap((0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == 0xC0 })
        b[sof + 4] = 12
        XCTAssertEqual(try decodeError(b, name: "p12.jpg")?.kind, .unsupported)
    }

    /// Seeded random mutations (header-biased for JPEG; CRCs recomputed for PNG so the
    /// damage reaches libpng): every mutant either decodes or throws; none crashes.
    func testRandomMutationsNeverCrash() throws {
        let g = RandomGenerator(seed: 7)
        for name in ["baseline.jpg", "progressive.jpg", "cmyk.jpg", "exif6.jpg", "src_rgb.png", "palette_trns.png",
                     "rgb16.png", "rgba16_interlaced.png", "gray1.png"] {
            let full = try bytes(name)
            let png = name.hasSuffix(".png")
            for _ in 0..<1500 {
                var b = full
                for _ in 0...g.nextInt(below: 3) {
                    let i = png || g.nextFloat() < 0.3 ? 2 + g.nextInt(below: full.count - 2) : 2 + g.nextInt(below: min(full.count, 700) - 2)
                    b[i] = UInt8(g.nextInt(below: 256))
                }
                if png { fixAllCRCs(&b) }
                _ = memoryError(b)
            }
        }
    }

    private func fixAllCRCs(_ b: inout [UInt8]) {
        var pos = 8
        while pos + 12 <= b.count {
            let len = Int(b[pos]) << 24 | Int(b[pos + 1]) << 16 | Int(b[pos + 2]) << 8 | Int(b[pos + 3])
            guard pos + 12 + len <= b.count else { return }
            fixCRC(&b, (pos, pos + 8, len))
            pos += 12 + len
        }
    }

    /// The offset of the first `FF m` marker.
    private func marker(_ b: [UInt8], _ m: UInt8) -> Int? { (0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == m } }

    private func findChunk(_ b: [UInt8], _ type: String) -> (start: Int, data: Int, length: Int)? {
        var pos = 8
        while pos + 12 <= b.count {
            let len = Int(b[pos]) << 24 | Int(b[pos + 1]) << 16 | Int(b[pos + 2]) << 8 | Int(b[pos + 3])
            if String(decoding: b[(pos + 4)..<(pos + 8)], as: UTF8.self) == type { return (pos, pos + 8, len) }
            pos += 12 + len
        }
        return nil
    }

    private func fixCRC(_ b: inout [UInt8], _ chunk: (start: Int, data: Int, length: Int)) {
        let crc = b.withUnsafeBytes { PNGCRC.checksum(UnsafeRawBufferPointer(rebasing: $0[(chunk.start + 4)..<(chunk.data + chunk.length)])) }
        for k in 0..<4 { b[chunk.data + chunk.length + k] = UInt8((crc >> (24 - 8 * UInt32(k))) & 0xFF) }
    }
}
