import CJPEG

/// Decodes baseline, extended and progressive JPEG through libjpeg(-turbo):
/// grayscale (layout `.gray`), YCbCr/RGB (`.rgb`) and CMYK/YCCK (converted
/// to `.rgb` as PIL's `convert("RGB")` does, see ``cmykToRGB(_:_:_:_:)``).
/// The EXIF orientation is applied afterwards.
///
/// Safety: libjpeg's `error_exit` must not return and Swift cannot catch a
/// longjmp, so ``JPEGStructure`` first checks every header condition that
/// makes libjpeg fail. What remains are corrupt-data *warnings* (bad Huffman
/// codes, premature end of data); they are collected through `emit_message`
/// and turned into a thrown `.corrupt` error after decoding (except
/// "extraneous bytes before marker", common and harmless in camera files).
/// Decoding uses libjpeg's defaults (islow IDCT, fancy upsampling) as PIL does.
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String, exifOrientation: Bool = true) throws -> ImageBuffer {
        let header = try JPEGStructure.validate(bytes, path: path)
        let state = JPEGState(path: path)
        let cinfo = UnsafeMutablePointer<jpeg_decompress_struct>.allocate(capacity: 1)
        let err = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
        cinfo.initialize(to: jpeg_decompress_struct())
        err.initialize(to: jpeg_error_mgr())
        defer {
            jpeg_destroy_decompress(cinfo)
            cinfo.deallocate()
            err.deallocate()
        }
        cinfo.pointee.err = jpeg_std_error(err)
        err.pointee.error_exit = { c in
            let state = Unmanaged<JPEGState>.fromOpaque(c!.pointee.client_data!).takeUnretainedValue()
            // Unreachable for data that passed JPEGStructure; libjpeg must not regain control.
            fatalError("libjpeg error on validated file '\(state.path)': \(JPEGState.format(c!))")
        }
        err.pointee.emit_message = { c, level in
            guard level < 0, let c else { return }
            let state = Unmanaged<JPEGState>.fromOpaque(c.pointee.client_data!).takeUnretainedValue()
            c.pointee.err.pointee.num_warnings += 1
            state.warnings.append(JPEGState.format(c))
        }
        err.pointee.output_message = { _ in }
        jpeg_CreateDecompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
        cinfo.pointee.client_data = Unmanaged.passUnretained(state).toOpaque()
        jpeg_mem_src(cinfo, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(bytes.count))
        _ = jpeg_read_header(cinfo, 1)
        let cmyk = header.components == 4
        let gray = header.components == 1
        cinfo.pointee.out_color_space = cmyk ? JCS_CMYK : (gray ? JCS_GRAYSCALE : JCS_RGB)
        _ = jpeg_start_decompress(cinfo)
        let w = Int(cinfo.pointee.output_width), h = Int(cinfo.pointee.output_height)
        let c = Int(cinfo.pointee.output_components)
        precondition(w == header.width && h == header.height && c == (cmyk ? 4 : gray ? 1 : 3),
                     "JPEGDecoder: libjpeg output \(w)x\(h)x\(c) disagrees with the validated header")
        var raw = [UInt8](repeating: 0, count: w * h * c)
        raw.withUnsafeMutableBufferPointer { buffer in
            while cinfo.pointee.output_scanline < cinfo.pointee.output_height {
                var row: JSAMPROW? = buffer.baseAddress! + Int(cinfo.pointee.output_scanline) * w * c
                if jpeg_read_scanlines(cinfo, &row, 1) != 1 { break }
            }
        }
        _ = jpeg_finish_decompress(cinfo)
        let serious = state.warnings.filter { !$0.contains("extraneous bytes") }
        if let first = serious.first {
            throw ImageError(.corrupt, path: path, "JPEG: corrupt data: \(first)\(serious.count > 1 ? " (and \(serious.count - 1) more)" : "")")
        }
        var image: ImageBuffer
        if cmyk {
            var rgb = [UInt8](repeating: 0, count: w * h * 3)
            for i in 0..<(w * h) {
                let (r, g, b) = cmykToRGB(raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3])
                rgb[3 * i] = r; rgb[3 * i + 1] = g; rgb[3 * i + 2] = b
            }
            image = ImageBuffer(width: w, height: h, layout: .rgb, pixels: rgb)
        } else {
            image = ImageBuffer(width: w, height: h, layout: gray ? .gray : .rgb, pixels: raw)
        }
        return exifOrientation ? ExifOrientation.apply(header.orientation, to: image) : image
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

/// Per-decode state reached from libjpeg callbacks through `client_data`.
private final class JPEGState {
    let path: String
    var warnings: [String] = []

    init(path: String) { self.path = path }

    static func format(_ c: j_common_ptr) -> String {
        var buffer = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        c.pointee.err.pointee.format_message(c, &buffer)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
