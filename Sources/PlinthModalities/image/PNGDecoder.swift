import CPNG
import Foundation

/// Decodes PNG through libpng: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and
/// palette (with tRNS), interlaced or not.
///
/// Output layout: the PNG's own colour model (palette -> RGB), plus an alpha
/// channel when the file has one or a tRNS chunk. Samples are the stored
/// values, with no gamma or colour-profile conversion (as PIL). 16-bit files
/// keep full samples in ``ImageBuffer/samples16`` and their high bytes in
/// ``ImageBuffer/pixels``.
///
/// Safety: libpng reports fatal errors by longjmp, which Swift cannot catch.
/// So (1) ``PNGStructure`` validates the chunk list, CRCs and header first,
/// then (2) libpng's simplified API (`png_image_*`, which catches its own
/// errors internally) decodes the file and reports any remaining data error
/// (bad zlib stream, missing image data) as a thrown ``ImageError``. Only a
/// file that passed both reaches (3) the classic API, used for 16-bit files
/// and files with colour-space chunks, where the simplified API would convert
/// colours differently from PIL.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ImageBuffer {
        let header = try PNGStructure.validate(bytes, path: path)
        let color = header.colorType & 2 != 0 || header.colorType == 3
        let alpha = header.colorType & 4 != 0 || header.hasTRNS
        let layout: ColorLayout = color ? (alpha ? .rgba : .rgb) : (alpha ? .grayAlpha : .gray)
        let simple = try simplifiedRead(bytes, layout: layout, header: header, path: path)
        if header.bitDepth < 16 && !header.hasColorspaceChunks { return simple }
        return classicRead(bytes, layout: layout, header: header, path: path)
    }

    private static func simplifiedRead(_ bytes: UnsafeRawBufferPointer, layout: ColorLayout, header: PNGHeader,
                                       path: String) throws -> ImageBuffer {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        func message() -> String {
            withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw ImageError(.corrupt, path: path, "PNG: libpng: \(message())")
        }
        // PNG_FORMAT_FLAG_ALPHA = 1, PNG_FORMAT_FLAG_COLOR = 2 (8-bit, sRGB).
        image.format = UInt32((layout.hasAlpha ? 1 : 0) | (layout.channels >= 3 ? 2 : 0))
        var pixels = [UInt8](repeating: 0, count: header.width * header.height * layout.channels)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            let text = message()
            let truncated = text.contains("Not enough") || text.contains("end of")
            throw ImageError(truncated ? .truncated : .corrupt, path: path, "PNG: libpng: \(text)")
        }
        return ImageBuffer(width: header.width, height: header.height, layout: layout, pixels: pixels)
    }

    /// The exact classic-API read; only called on data that decoded cleanly.
    private static func classicRead(_ bytes: UnsafeRawBufferPointer, layout: ColorLayout, header: PNGHeader,
                                    path: String) -> ImageBuffer {
        let source = PNGSource(bytes: bytes, path: path)
        let context = Unmanaged.passRetained(source)
        defer { context.release() }
        let errorFn: png_error_ptr = { png, message in
            let source = Unmanaged<PNGSource>.fromOpaque(png_get_error_ptr(png)!).takeUnretainedValue()
            // Unreachable for data that png_image_* decoded; libpng must not regain control.
            fatalError("libpng error on validated file '\(source.path)': \(message.map { String(cString: $0) } ?? "?")")
        }
        let warningFn: png_error_ptr = { _, _ in }
        let readFn: png_rw_ptr = { png, out, count in
            let source = Unmanaged<PNGSource>.fromOpaque(png_get_io_ptr(png)!).takeUnretainedValue()
            guard let out else { return }
            let n = min(count, source.bytes.count - source.position)
            if n > 0 { out.update(from: source.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + source.position, count: n) }
            if n < count { (out + max(n, 0)).update(repeating: 0, count: count - max(n, 0)) }
            source.position += max(n, 0)
        }
        var png: png_structp? = png_create_read_struct(PNG_LIBPNG_VER_STRING, context.toOpaque(), errorFn, warningFn)
        var info: png_infop? = png_create_info_struct(png)
        defer { png_destroy_read_struct(&png, &info, nil) }
        png_set_read_fn(png, context.toOpaque(), readFn)
        png_set_benign_errors(png, 1)
        png_read_info(png, info)
        png_set_expand(png)  // palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha
        _ = png_set_interlace_handling(png)
        png_read_update_info(png, info)
        let rowBytes = Int(png_get_rowbytes(png, info))
        let depth = Int(png_get_bit_depth(png, info))
        // libpng may have dropped an invalid tRNS chunk (a benign error), so the layout comes from libpng here.
        let layout = ColorLayout(channels: Int(png_get_channels(png, info))) ?? layout
        var raw = [UInt8](repeating: 0, count: rowBytes * header.height)
        raw.withUnsafeMutableBufferPointer { buffer in
            var rows: [png_bytep?] = (0..<header.height).map { buffer.baseAddress! + $0 * rowBytes }
            rows.withUnsafeMutableBufferPointer { png_read_image(png, $0.baseAddress) }
        }
        let n = header.width * header.height * layout.channels
        guard depth == 16 else {
            return ImageBuffer(width: header.width, height: header.height, layout: layout, pixels: Array(raw.prefix(n)))
        }
        var pixels = [UInt8](repeating: 0, count: n)
        var samples = [UInt16](repeating: 0, count: n)
        for i in 0..<n {
            pixels[i] = raw[2 * i]  // PIL keeps the high byte of big-endian 16-bit samples
            samples[i] = UInt16(raw[2 * i]) << 8 | UInt16(raw[2 * i + 1])
        }
        return ImageBuffer(width: header.width, height: header.height, layout: layout, pixels: pixels, samples16: samples)
    }
}

/// In-memory read state for libpng's read callback.
private final class PNGSource {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var position = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }
}
