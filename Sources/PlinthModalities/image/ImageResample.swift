import Foundation
import PlinthTensor

/// Antialiased resampling filters, as PIL's `Image.resize` applies them.
public enum ImageResizeFilter: String, Sendable, Equatable {
    case bilinear, bicubic

    /// Half-width of the kernel at scale 1.
    var support: Double { self == .bilinear ? 1 : 2 }

    /// Kernel value at `x` (Keys bicubic with a = -0.5, or the triangle).
    @inline(__always) func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

/// PIL-exact resizing of 8-bit images (Pillow's `src/libImaging/Resample.c`).
///
/// Separable, horizontal pass first over only the rows the vertical pass
/// needs. For each output position the kernel is centred at
/// `(x + 0.5) * scale`, widened by `max(scale, 1)` when downscaling (the
/// antialias), normalized to sum 1, then quantized to 22-bit fixed point; each
/// pass accumulates `sample * coefficient` from `1 << 21` in Int32 and stores
/// `clamp(sum >> 22, 0, 255)`, so the intermediate image is rounded to uint8
/// exactly as PIL does. Channels are independent; alpha is not premultiplied
/// (callers convert to RGB first, as PIL's RGB resize sees it).
public enum PILResample {
    static let precisionBits = 22

    /// `image` resized to `width` x `height` with `filter`.
    public static func resize(_ image: ImageBuffer, width: Int, height: Int, filter: ImageResizeFilter) -> ImageBuffer {
        precondition(width > 0 && height > 0, "PILResample.resize: target \(width) x \(height) must be positive")
        let needH = width != image.width, needV = height != image.height
        if !needH && !needV { return ImageBuffer(width: width, height: height, layout: image.layout, pixels: image.pixels) }
        let (kh, bh, ksh) = coefficients(inSize: image.width, outSize: width, filter: filter)
        var (kv, bv, ksv) = coefficients(inSize: image.height, outSize: height, filter: filter)
        let c = image.channels
        var current = image.pixels, curW = image.width, curH = image.height
        if needH {
            let first = bv[0], last = bv[2 * height - 2] + bv[2 * height - 1]
            if needV { for i in 0..<height { bv[2 * i] -= first } }
            let rows = needV ? last - first : image.height
            let rowOffset = needV ? first : 0
            var out = [UInt8](repeating: 0, count: rows * width * c)
            horizontal(current, inWidth: curW, rowOffset: rowOffset, out: &out, rows: rows, outWidth: width,
                       channels: c, kk: kh, bounds: bh, ksize: ksh)
            current = out; curW = width; curH = rows
        }
        if needV {
            var out = [UInt8](repeating: 0, count: height * curW * c)
            vertical(current, width: curW, out: &out, outHeight: height, channels: c, kk: kv, bounds: bv, ksize: ksv)
            current = out; curH = height
        }
        precondition(curH == height)
        return ImageBuffer(width: width, height: height, layout: image.layout, pixels: current)
    }

    /// Fixed-point coefficients `[outSize * ksize]`, bounds `[outSize * 2]`
    /// (first input index, tap count) and ksize, as `precompute_coeffs` +
    /// `normalize_coeffs_8bpc`.
    static func coefficients(inSize: Int, outSize: Int, filter: ImageResizeFilter) -> ([Int32], [Int], Int) {
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var kk = [Int32](repeating: 0, count: outSize * ksize)
        var bounds = [Int](repeating: 0, count: outSize * 2)
        var k = [Double](repeating: 0, count: ksize)
        let ss = 1 / filterScale
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var ww = 0.0
            for x in 0..<max(xmax, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<max(xmax, 0) {
                let v = ww != 0 ? k[x] / ww : k[x]
                let scaled = v * Double(1 << precisionBits)
                kk[xx * ksize + x] = Int32(v < 0 ? -0.5 + scaled : 0.5 + scaled)
            }
            bounds[2 * xx] = xmin
            bounds[2 * xx + 1] = max(xmax, 0)
        }
        return (kk, bounds, ksize)
    }

    @inline(__always) static func clip8(_ v: Int32) -> UInt8 {
        let s = v >> Int32(precisionBits)
        return s < 0 ? 0 : (s > 255 ? 255 : UInt8(s))
    }

    private static func horizontal(_ src: [UInt8], inWidth: Int, rowOffset: Int, out: inout [UInt8], rows: Int,
                                   outWidth: Int, channels c: Int, kk: [Int32], bounds: [Int], ksize: Int) {
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                kk.withUnsafeBufferPointer { kp in
                    bounds.withUnsafeBufferPointer { bp in
                        let sAddr = s.baseAddress!, oAddr = ImageRowPointer(o.baseAddress!)
                        let kAddr = kp.baseAddress!, bAddr = bp.baseAddress!
                        Threads.parallelFor(rows, grain: max(1, 16384 / max(outWidth * c, 1))) { range in
                            for yy in range {
                                let row = sAddr + (yy + rowOffset) * inWidth * c
                                let orow = oAddr.p + yy * outWidth * c
                                for xx in 0..<outWidth {
                                    let n = bAddr[2 * xx + 1], k = kAddr + xx * ksize
                                    let px = row + bAddr[2 * xx] * c
                                    if c == 3 {
                                        var a0: Int32 = 1 << Int32(precisionBits - 1), a1 = a0, a2 = a0
                                        for x in 0..<n {
                                            let w = k[x], p = px + 3 * x
                                            a0 &+= Int32(p[0]) &* w
                                            a1 &+= Int32(p[1]) &* w
                                            a2 &+= Int32(p[2]) &* w
                                        }
                                        orow[xx * 3] = clip8(a0)
                                        orow[xx * 3 + 1] = clip8(a1)
                                        orow[xx * 3 + 2] = clip8(a2)
                                        continue
                                    }
                                    for ch in 0..<c {
                                        var acc: Int32 = 1 << Int32(precisionBits - 1)
                                        for x in 0..<n { acc &+= Int32(px[x * c + ch]) &* k[x] }
                                        orow[xx * c + ch] = clip8(acc)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static func vertical(_ src: [UInt8], width: Int, out: inout [UInt8], outHeight: Int, channels c: Int,
                                 kk: [Int32], bounds: [Int], ksize: Int) {
        let rowLen = width * c
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                kk.withUnsafeBufferPointer { kp in
                    let sAddr = s.baseAddress!, oAddr = ImageRowPointer(o.baseAddress!), kAddr = kp.baseAddress!
                    Threads.parallelFor(outHeight, grain: max(1, 16384 / max(rowLen, 1))) { range in
                        var acc = [Int32](repeating: 0, count: rowLen)
                        acc.withUnsafeMutableBufferPointer { a in
                            for yy in range {
                                let ymin = bounds[2 * yy], n = bounds[2 * yy + 1], k = kAddr + yy * ksize
                                a.update(repeating: 1 << Int32(precisionBits - 1))
                                // Row-major accumulation: the same sums as PIL's per-pixel loop.
                                for y in 0..<n {
                                    let w = k[y], srow = sAddr + (y + ymin) * rowLen
                                    for i in 0..<rowLen { a[i] &+= Int32(srow[i]) &* w }
                                }
                                let orow = oAddr.p + yy * rowLen
                                for i in 0..<rowLen { orow[i] = clip8(a[i]) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A raw pointer carried into `Threads.parallelFor` chunks that write disjoint rows.
struct ImageRowPointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

extension ImageBuffer {
    /// This image resized to `width` x `height` as PIL's `Image.resize` does (see ``PILResample``).
    public func resized(width: Int, height: Int, filter: ImageResizeFilter) -> ImageBuffer {
        PILResample.resize(self, width: width, height: height, filter: filter)
    }
}
