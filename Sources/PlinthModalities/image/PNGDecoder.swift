import CImageCodecs

/// Decodes PNG through libpng: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and
/// palette (with tRNS), interlaced or not. The eXIf orientation is applied
/// afterwards, as for JPEG.
///
/// Output layout: the PNG's own colour model (palette -> RGB), plus an alpha
/// channel when the file has one or a valid tRNS chunk. Samples are the stored
/// values, with no gamma or colour-profile conversion (as PIL). 16-bit files
/// keep full samples in ``ImageBuffer/samples16`` and their high bytes in
/// ``ImageBuffer/pixels``.
///
/// Safety: libpng reports fatal errors by longjmp, which Swift cannot catch.
/// ``PNGStructure`` first validates the chunk list, CRCs and header, so that
/// structural damage gets a message with its byte offset. The file is then
/// decoded once, by libpng's classic API inside the C function
/// `plinth_png_decode`, whose setjmp handler returns any libpng error that
/// remains (a bad zlib stream, missing image data) with libpng's message;
/// it becomes a thrown ``ImageError``. No libpng error reaches Swift frames.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String, exifOrientation: Bool = true) throws -> ImageBuffer {
        let header = try PNGStructure.validate(bytes, path: path)
        let image = try read(bytes, header: header, path: path)
        return exifOrientation ? ExifOrientation.apply(header.orientation, to: image) : image
    }

    /// libpng's decode of `bytes`, without ``PNGStructure``: `header` only
    /// sizes the output buffer (internal, so tests reach the C error handler).
    static func read(_ bytes: UnsafeRawBufferPointer, header: PNGHeader, path: String) throws -> ImageBuffer {
        // The widest output the header allows; libpng may drop an invalid tRNS chunk, giving fewer channels.
        let color = header.colorType & 2 != 0 || header.colorType == 3
        let alpha = header.colorType & 4 != 0 || header.hasTRNS
        let channels = (color ? 3 : 1) + (alpha ? 1 : 0)
        var raw = [UInt8](repeating: 0, count: header.width * header.height * channels * (header.bitDepth == 16 ? 2 : 1))
        var image = plinth_png_image()
        let messageSize = Int(PLINTH_CODEC_MESSAGE_MAX)
        var message = [CChar](repeating: 0, count: messageSize)
        let status = raw.withUnsafeMutableBytes { out in
            plinth_png_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                              out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &image, &message, messageSize)
        }
        guard status == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let truncated = text.contains("Not enough") || text.contains("end of")
            throw ImageError(truncated ? .truncated : .corrupt, path: path, "PNG: libpng: \(text)")
        }
        let width = Int(image.width), height = Int(image.height)
        let layout = ColorLayout(channels: Int(image.channels))!  // libpng's expanded channel count is 1...4
        let n = width * height * layout.channels
        guard image.bit_depth == 16 else {
            raw.removeSubrange(n...)
            return ImageBuffer(width: width, height: height, layout: layout, pixels: raw)
        }
        var pixels = [UInt8](repeating: 0, count: n)
        var samples = [UInt16](repeating: 0, count: n)
        for i in 0..<n {
            pixels[i] = raw[2 * i]  // PIL keeps the high byte of big-endian 16-bit samples
            samples[i] = UInt16(raw[2 * i]) << 8 | UInt16(raw[2 * i + 1])
        }
        return ImageBuffer(width: width, height: height, layout: layout, pixels: pixels, samples16: samples)
    }
}
