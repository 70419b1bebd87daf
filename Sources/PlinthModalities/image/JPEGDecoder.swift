import CImageCodecs

/// Decodes baseline, extended and progressive JPEG through libjpeg(-turbo):
/// grayscale (layout `.gray`), YCbCr/RGB (`.rgb`) and CMYK/YCCK (converted
/// to `.rgb` as PIL's `convert("RGB")` does, see ``cmykToRGB(_:_:_:_:)``).
/// The EXIF orientation is applied afterwards.
///
/// Safety: libjpeg reports fatal errors by longjmp from `error_exit`, which
/// Swift cannot catch. ``JPEGStructure`` first checks every header condition
/// that makes libjpeg fail, so that such files get a message with the byte
/// offset. The file is then decoded by the C function `plinth_jpeg_decode`,
/// whose setjmp handler returns any libjpeg error that remains with libjpeg's
/// message; it becomes a thrown `.corrupt` ``ImageError``. libjpeg's
/// corrupt-data *warnings* (bad Huffman codes, premature end of data) also
/// become a thrown `.corrupt` error after decoding (except "extraneous bytes
/// before marker", common and harmless in camera files). Decoding uses
/// libjpeg's defaults (islow IDCT, fancy upsampling) as PIL does.
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String, exifOrientation: Bool = true) throws -> ImageBuffer {
        let header = try JPEGStructure.validate(bytes, path: path)
        let image = try decompress(bytes, header: header, path: path)
        return exifOrientation ? ExifOrientation.apply(header.orientation, to: image) : image
    }

    /// libjpeg's decode of `bytes`, without ``JPEGStructure``: `header` gives
    /// the expected size (internal, so tests reach the C error handler).
    static func decompress(_ bytes: UnsafeRawBufferPointer, header: JPEGHeader, path: String) throws -> ImageBuffer {
        let w = header.width, h = header.height, c = header.components
        var raw = [UInt8](repeating: 0, count: w * h * c)
        var image = plinth_jpeg_image()
        let messageSize = Int(PLINTH_CODEC_MESSAGE_MAX)
        var message = [CChar](repeating: 0, count: messageSize)
        let status = raw.withUnsafeMutableBytes { out in
            plinth_jpeg_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                               out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &image, &message, messageSize)
        }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard status == 0 else { throw ImageError(.corrupt, path: path, "JPEG: libjpeg: \(text)") }
        guard Int(image.width) == w, Int(image.height) == h, Int(image.components) == c else {
            throw ImageError(.corrupt, path: path,
                             "JPEG: libjpeg decoded \(image.width) x \(image.height) x \(image.components), the markers declare \(w) x \(h) x \(c)")
        }
        if image.warnings > 0 {
            throw ImageError(.corrupt, path: path, "JPEG: corrupt data: \(text)\(image.warnings > 1 ? " (and \(image.warnings - 1) more)" : "")")
        }
        guard c == 4 else { return ImageBuffer(width: w, height: h, layout: c == 1 ? .gray : .rgb, pixels: raw) }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) {
            let (r, g, b) = cmykToRGB(raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3])
            rgb[3 * i] = r; rgb[3 * i + 1] = g; rgb[3 * i + 2] = b
        }
        return ImageBuffer(width: w, height: h, layout: .rgb, pixels: rgb)
    }

    /// PIL's CMYK JPEG to RGB: the stored samples are Adobe-inverted (PIL's
    /// rawmode "CMYK;I"), then Pillow's `cmyk2rgb`:
    /// `nk = 255 - K; R = nk - C * nk / 255` (rounded as MULDIV255).
    static func cmykToRGB(_ sc: UInt8, _ sm: UInt8, _ sy: UInt8, _ sk: UInt8) -> (UInt8, UInt8, UInt8) {
        let k = 255 - Int(sk)
        let nk = 255 - k
        func channel(_ stored: UInt8) -> UInt8 {
            let v = 255 - Int(stored)
            let t = v * nk + 128
            return UInt8(clamping: nk - (((t >> 8) + t) >> 8))
        }
        return (channel(sc), channel(sm), channel(sy))
    }
}
