import PlinthTensor

/// The channel layout of an ``ImageBuffer``.
public enum ColorLayout: Int, Sendable, Equatable {
    case gray = 1, grayAlpha = 2, rgb = 3, rgba = 4

    public var channels: Int { rawValue }
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }

    init?(channels: Int) { self.init(rawValue: channels) }
}

/// A decoded image: 8-bit samples, interleaved, row-major (`[H, W, C]`).
///
/// This is the layout PIL works on, so resizing it with ``PILResample`` matches
/// PIL bit for bit. A 16-bit PNG also keeps its full-precision samples in
/// ``samples16`` (same layout); its 8-bit samples are the high bytes, as PIL
/// keeps when it loads a 16-bit RGB(A) PNG. (For 16-bit *gray* PIL's
/// `convert("RGB")` clips `I;16` values at 255 instead; Plinth keeps the high
/// byte there too, the meaningful 8-bit reduction.)
public struct ImageBuffer: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var layout: ColorLayout
    /// `height * width * layout.channels` samples.
    public var pixels: [UInt8]
    /// Full-precision samples of a 16-bit source, else nil.
    public var samples16: [UInt16]?

    public var channels: Int { layout.channels }

    public init(width: Int, height: Int, layout: ColorLayout, pixels: [UInt8], samples16: [UInt16]? = nil) {
        precondition(pixels.count == width * height * layout.channels,
                     "ImageBuffer: \(pixels.count) samples for \(width) x \(height) x \(layout.channels)")
        precondition(samples16 == nil || samples16!.count == pixels.count, "ImageBuffer: samples16 count mismatch")
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
        self.samples16 = samples16
    }

    /// Converts to 3-channel RGB as PIL's `Image.convert("RGB")` does:
    /// gray is replicated and alpha is dropped (not composited).
    public func rgb() -> ImageBuffer {
        if layout == .rgb { return self }
        let n = width * height, c = channels
        var out = [UInt8](repeating: 0, count: n * 3)
        var out16: [UInt16]? = samples16 == nil ? nil : [UInt16](repeating: 0, count: n * 3)
        for i in 0..<n {
            for k in 0..<3 {
                let src = i * c + (c >= 3 ? k : 0)
                out[i * 3 + k] = pixels[src]
                if let s = samples16 { out16![i * 3 + k] = s[src] }
            }
        }
        return ImageBuffer(width: width, height: height, layout: .rgb, pixels: out, samples16: out16)
    }

    /// The image as a Float32 tensor `[C, H, W]` in [0, 1]: 8-bit samples / 255
    /// (as torchvision's ToTensor), or 16-bit samples / 65535 when
    /// `fullPrecision` and the source had them.
    public func toTensor(fullPrecision: Bool = false) -> Tensor {
        let n = width * height, c = channels
        let t = Tensor(uninitialized: [c, height, width])
        let p = t.pointer
        if fullPrecision, let s = samples16 {
            for i in 0..<n { for k in 0..<c { p[k * n + i] = Float(s[i * c + k]) / 65535 } }
        } else {
            pixels.withUnsafeBufferPointer { px in
                for i in 0..<n { for k in 0..<c { p[k * n + i] = Float(px[i * c + k]) / 255 } }
            }
        }
        return t
    }

    /// An 8-bit image from a tensor `[C, H, W]` (C = 1, 2, 3 or 4) with values in
    /// [0, 1]: each sample is `round(clamp(x, 0, 1) * 255)`; NaN becomes 0.
    public init(tensor: Tensor) {
        precondition(tensor.rank == 3 && (1...4).contains(tensor.shape[0]),
                     "ImageBuffer(tensor:): expected [C, H, W] with C in 1...4, got \(tensor.shape)")
        let c = tensor.shape[0], h = tensor.shape[1], w = tensor.shape[2], n = h * w
        let v = tensor.toArray()
        var px = [UInt8](repeating: 0, count: n * c)
        for k in 0..<c {
            for i in 0..<n {
                let x = v[k * n + i]
                px[i * c + k] = x.isNaN ? 0 : UInt8((min(max(x, 0), 1) * 255).rounded())
            }
        }
        self.init(width: w, height: h, layout: ColorLayout(channels: c)!, pixels: px)
    }

    /// The sub-rectangle at (`left`, `top`) of size `width` x `height`; parts
    /// outside the image are filled with zeros (torchvision's CenterCrop padding).
    public func cropped(left: Int, top: Int, width w: Int, height h: Int) -> ImageBuffer {
        precondition(w > 0 && h > 0, "cropped: empty crop \(w) x \(h)")
        let c = channels
        var out = [UInt8](repeating: 0, count: w * h * c)
        for y in 0..<h {
            let sy = top + y
            guard sy >= 0, sy < height else { continue }
            for x in 0..<w {
                let sx = left + x
                guard sx >= 0, sx < width else { continue }
                for k in 0..<c { out[(y * w + x) * c + k] = pixels[(sy * width + sx) * c + k] }
            }
        }
        return ImageBuffer(width: w, height: h, layout: layout, pixels: out)
    }

    /// Mirrored left to right (PIL's FLIP_LEFT_RIGHT).
    public func flippedHorizontally() -> ImageBuffer {
        var out = pixels
        let c = channels
        for y in 0..<height {
            for x in 0..<width {
                for k in 0..<c { out[(y * width + x) * c + k] = pixels[(y * width + width - 1 - x) * c + k] }
            }
        }
        return ImageBuffer(width: width, height: height, layout: layout, pixels: out)
    }
}
