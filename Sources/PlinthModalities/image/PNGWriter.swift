import CPNG
import Foundation
import PlinthTensor

/// Writes 8-bit PNG files (gray, gray+alpha, RGB, RGBA) through libpng's
/// simplified write API, which catches libpng's own errors.
///
/// Files are written atomically: the encoded bytes go to a temporary file in
/// the destination directory, which is then renamed over the target, so an
/// interrupted write never leaves a half-written PNG behind.
public enum PNGWriter {
    /// PNG bytes for `image` (8-bit samples; 16-bit samples are not written).
    public static func encode(_ image: ImageBuffer, path: String = "<memory>") throws -> [UInt8] {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32((image.layout.hasAlpha ? 1 : 0) | (image.channels >= 3 ? 2 : 0))
        var size: png_alloc_size_t = 0
        let stride = Int32(image.width * image.channels)
        var ok = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, stride, nil) }
        var out = [UInt8](repeating: 0, count: Int(size))
        if ok != 0 {
            ok = out.withUnsafeMutableBytes { dst in
                image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
            }
        }
        guard ok != 0 else {
            let message = withUnsafeBytes(of: png.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageError(.writeFailed, path: path, "PNG encoding failed: libpng: \(message)")
        }
        return Array(out.prefix(Int(size)))
    }

    /// Writes `image` to `path` atomically.
    public static func write(_ image: ImageBuffer, to path: String) throws {
        try writeAtomically(encode(image, path: path), to: path)
    }

    /// Writes a tensor `[C, H, W]` (C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)
    /// with values in [0, 1] (rounded, clamped) as an 8-bit PNG.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try write(ImageBuffer(tensor: tensor), to: path)
    }

    /// Tiles a batch `[N, C, H, W]` in [0, 1] into a grid of `columns` columns
    /// (default: ceil(sqrt(N))) with `padding` pixels of `padValue` between and
    /// around tiles (torchvision's `make_grid` layout), and writes it as a PNG.
    public static func writeGrid(_ batch: Tensor, to path: String, columns: Int? = nil, padding: Int = 2,
                                 padValue: Float = 0) throws {
        try write(grid(batch, columns: columns, padding: padding, padValue: padValue), to: path)
    }

    /// The grid image of ``writeGrid(_:to:columns:padding:padValue:)`` as a tensor `[C, H', W']`.
    public static func grid(_ batch: Tensor, columns: Int? = nil, padding: Int = 2, padValue: Float = 0) -> Tensor {
        precondition(batch.rank == 4, "PNGWriter.grid: expected [N, C, H, W], got \(batch.shape)")
        let n = batch.shape[0], c = batch.shape[1], h = batch.shape[2], w = batch.shape[3]
        let cols = max(1, min(columns ?? Int(Double(n).squareRoot().rounded(.up)), max(n, 1)))
        let rows = (n + cols - 1) / cols
        let gh = rows * (h + padding) + padding, gw = cols * (w + padding) + padding
        let v = batch.toArray()
        var out = [Float](repeating: padValue, count: c * gh * gw)
        for i in 0..<n {
            let oy = padding + (i / cols) * (h + padding), ox = padding + (i % cols) * (w + padding)
            for k in 0..<c {
                for y in 0..<h {
                    for x in 0..<w { out[(k * gh + oy + y) * gw + ox + x] = v[((i * c + k) * h + y) * w + x] }
                }
            }
        }
        return Tensor(out, shape: [c, gh, gw])
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it into place.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: tmp.path, contents: Data(bytes)) else {
            throw ImageError(.writeFailed, path: path, "cannot create temporary file \(tmp.path)")
        }
        guard rename(tmp.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw ImageError(.writeFailed, path: path, "cannot rename temporary file into place: \(reason)")
        }
    }
}
