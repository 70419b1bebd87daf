/// The header of a PNG file after its chunk structure has been validated.
struct PNGHeader {
    var width: Int
    var height: Int
    var bitDepth: Int
    /// 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    var colorType: Int
    var interlaced: Bool
    var hasTRNS: Bool
    /// The EXIF orientation (1...8) from the last eXIf chunk before IEND
    /// (the one PIL keeps), 1 if absent or invalid.
    var orientation: Int
}

/// Walks a PNG's chunks before libpng sees them, so that truncated or
/// corrupted files get an error naming the byte offset, the chunk and what
/// was expected. What the walk does not check (the zlib stream, the amount of
/// image data) is left to libpng, whose fatal errors `plinth_png_decode`
/// catches in C and returns with libpng's message (see ``PNGDecoder``).
///
/// Checks: the signature; every chunk's length against the remaining bytes;
/// every chunk's CRC-32; IHDR first with valid width, height (``ImageLimits``),
/// bit depth / colour type combination, compression, filter and interlace
/// methods; PLTE present (and before IDAT) for palette images, length a
/// multiple of 3 and at most 256 entries; at least one IDAT, consecutive;
/// no unknown critical chunk; IEND present. Bytes after IEND are ignored.
/// Reads: the eXIf chunk's orientation (its payload is a TIFF structure, as
/// a JPEG's APP1 after `"Exif\0\0"`).
enum PNGStructure {
    static func validate(_ b: UnsafeRawBufferPointer, path: String) throws -> PNGHeader {
        func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        var pos = 8
        var header: PNGHeader?
        var sawPLTE = false, sawIDAT = false, idatEnded = false, sawIEND = false
        var hasTRNS = false, orientation = 1
        while !sawIEND {
            guard pos + 12 <= b.count else {
                throw ImageError(.truncated, path: path,
                                 "PNG truncated at byte \(pos) of \(b.count): expected another chunk (IEND missing)")
            }
            let length = be32(pos)
            let type = String(decoding: b[(pos + 4)..<(pos + 8)], as: UTF8.self)
            guard length <= 0x7FFF_FFFF, type.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw ImageError(.corrupt, path: path, "PNG chunk at byte \(pos) has an invalid type or length")
            }
            guard pos + 12 + length <= b.count else {
                throw ImageError(.truncated, path: path,
                                 "PNG chunk \(type) at byte \(pos) declares \(length) bytes but the file ends at byte \(b.count)")
            }
            let stored = UInt32(truncatingIfNeeded: be32(pos + 8 + length))
            let computed = PNGCRC.checksum(UnsafeRawBufferPointer(rebasing: b[(pos + 4)..<(pos + 8 + length)]))
            guard stored == computed else {
                throw ImageError(.corrupt, path: path,
                                 "PNG chunk \(type) at byte \(pos): CRC mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))")
            }
            let data = pos + 8
            if header == nil && type != "IHDR" {
                throw ImageError(.corrupt, path: path, "PNG: first chunk is \(type), expected IHDR")
            }
            if type != "IDAT" && sawIDAT { idatEnded = true }
            switch type {
            case "IHDR":
                guard header == nil, length == 13 else {
                    throw ImageError(.corrupt, path: path, "PNG: IHDR at byte \(pos) must appear once with 13 bytes (has \(length))")
                }
                let w = be32(data), h = be32(data + 4)
                let depth = Int(b[data + 8]), color = Int(b[data + 9])
                try ImageLimits.check(width: w, height: h, path: path)
                let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
                guard let depths = allowed[color], depths.contains(depth) else {
                    throw ImageError(.corrupt, path: path, "PNG: invalid bit depth \(depth) for colour type \(color)")
                }
                guard b[data + 10] == 0, b[data + 11] == 0, b[data + 12] <= 1 else {
                    throw ImageError(.corrupt, path: path,
                                     "PNG: unsupported compression/filter/interlace method (\(b[data + 10]), \(b[data + 11]), \(b[data + 12]))")
                }
                header = PNGHeader(width: w, height: h, bitDepth: depth, colorType: color,
                                   interlaced: b[data + 12] == 1, hasTRNS: false, orientation: 1)
            case "PLTE":
                guard length % 3 == 0, length >= 3, length <= 768, !sawIDAT else {
                    throw ImageError(.corrupt, path: path, "PNG: invalid PLTE chunk at byte \(pos) (\(length) bytes)")
                }
                sawPLTE = true
            case "IDAT":
                if idatEnded {
                    throw ImageError(.corrupt, path: path, "PNG: IDAT chunks are not consecutive (byte \(pos))")
                }
                sawIDAT = true
            case "IEND":
                sawIEND = true
            case "tRNS": hasTRNS = true
            case "eXIf": orientation = ExifOrientation.parse(UnsafeRawBufferPointer(rebasing: b[data..<(data + length)])) ?? 1
            default:
                if (b[pos + 4] & 0x20) == 0 {
                    throw ImageError(.corrupt, path: path, "PNG: unknown critical chunk \(type) at byte \(pos)")
                }
            }
            pos += 12 + length
        }
        guard var h = header, sawIDAT else {
            throw ImageError(.corrupt, path: path, "PNG has no image data (no IDAT chunk)")
        }
        if h.colorType == 3 && !sawPLTE {
            throw ImageError(.corrupt, path: path, "PNG palette image has no PLTE chunk")
        }
        h.hasTRNS = hasTRNS
        h.orientation = orientation
        return h
    }
}

/// CRC-32 (ISO 3309, as PNG uses), table driven.
enum PNGCRC {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}
