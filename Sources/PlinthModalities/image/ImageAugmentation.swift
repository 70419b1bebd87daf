import Foundation
import PlinthTensor

/// torchvision's `RandomResizedCrop` on 8-bit images, drawing from a seeded
/// ``RandomGenerator`` (same seed -> same crop).
///
/// Up to 10 tries: area fraction `uniform(scale)`, aspect ratio
/// `exp(uniform(log ratio))`, `w = round(sqrt(area * ratio))`,
/// `h = round(sqrt(area / ratio))` (half to even); accepted when it fits, at a
/// uniform position. Otherwise the center crop clamped to the ratio range.
/// The crop is then resized to `width` x `height` with PIL's filter.
public struct RandomResizedCrop: Sendable {
    public var width: Int
    public var height: Int
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public var filter: ImageResizeFilter

    public init(size: Int, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
                filter: ImageResizeFilter = .bilinear) {
        precondition(size > 0, "RandomResizedCrop: size must be positive")
        self.width = size
        self.height = size
        self.scale = scale
        self.ratio = ratio
        self.filter = filter
    }

    /// The crop `(top, left, height, width)` for an image of the given size.
    public static func parameters(width: Int, height: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>,
                                  generator: RandomGenerator) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(width * height)
        let logLo = log(ratio.lowerBound), logHi = log(ratio.upperBound)
        func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(generator.nextFloat()) }
        for _ in 0..<10 {
            let target = area * uniform(scale.lowerBound, scale.upperBound)
            let aspect = exp(uniform(logLo, logHi))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0, w <= width, h > 0, h <= height {
                let top = generator.nextInt(below: height - h + 1)
                let left = generator.nextInt(below: width - w + 1)
                return (top, left, h, w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    public func callAsFunction(_ image: ImageBuffer, generator: RandomGenerator) -> ImageBuffer {
        let p = Self.parameters(width: image.width, height: image.height, scale: scale, ratio: ratio, generator: generator)
        let crop = image.cropped(left: p.left, top: p.top, width: p.width, height: p.height)
        return PILResample.resize(crop, width: width, height: height, filter: filter)
    }
}

/// Mirrors the image left-right with probability `p` (one draw per call).
public struct RandomHorizontalFlip: Sendable {
    public var p: Float

    public init(p: Float = 0.5) { self.p = p }

    public func callAsFunction(_ image: ImageBuffer, generator: RandomGenerator) -> ImageBuffer {
        generator.nextFloat() < p ? image.flippedHorizontally() : image
    }
}

/// torchvision's `ColorJitter` on an RGB tensor `[3, H, W]` in [0, 1].
///
/// Factors: brightness, contrast, saturation uniform in `[max(0, 1 - x), 1 + x]`,
/// hue uniform in `[-hue, hue]` (hue <= 0.5); applied in a random order
/// (a permutation of the four, as `torch.randperm(4)`). Definitions as
/// torchvision's functional tensor ops: brightness `clamp(f x)`; contrast
/// `clamp(f x + (1 - f) mean(gray))`; saturation `clamp(f x + (1 - f) gray)`
/// with `gray = 0.2989 R + 0.587 G + 0.114 B`; hue shifts H in HSV modulo 1.
public struct ColorJitter: Sendable {
    public var brightness: Float
    public var contrast: Float
    public var saturation: Float
    public var hue: Float

    public init(brightness: Float = 0, contrast: Float = 0, saturation: Float = 0, hue: Float = 0) {
        precondition(brightness >= 0 && contrast >= 0 && saturation >= 0, "ColorJitter: factors must be >= 0")
        precondition(hue >= 0 && hue <= 0.5, "ColorJitter: hue must be in [0, 0.5]")
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
    }

    public func callAsFunction(_ image: Tensor, generator: RandomGenerator) -> Tensor {
        precondition(image.rank == 3 && image.shape[0] == 3, "ColorJitter: expected [3, H, W], got \(image.shape)")
        let order = generator.permutation(4)
        func factor(_ x: Float) -> Float? {
            x > 0 ? max(0, 1 - x) + (1 + x - max(0, 1 - x)) * generator.nextFloat() : nil
        }
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let h: Float? = hue > 0 ? -hue + 2 * hue * generator.nextFloat() : nil
        var v = image.toArray()
        let n = image.shape[1] * image.shape[2]
        for op in order {
            switch op {
            case 0: if let b { Self.adjustBrightness(&v, b) }
            case 1: if let c { Self.adjustContrast(&v, n: n, c) }
            case 2: if let s { Self.adjustSaturation(&v, n: n, s) }
            default: if let h { Self.adjustHue(&v, n: n, h) }
            }
        }
        return Tensor(v, shape: image.shape)
    }

    @inline(__always) static func clamp01(_ x: Float) -> Float { min(max(x, 0), 1) }

    static func gray(_ v: [Float], _ i: Int, _ n: Int) -> Float {
        0.2989 * v[i] + 0.587 * v[n + i] + 0.114 * v[2 * n + i]
    }

    public static func adjustBrightness(_ v: inout [Float], _ f: Float) {
        for i in v.indices { v[i] = clamp01(f * v[i]) }
    }

    public static func adjustContrast(_ v: inout [Float], n: Int, _ f: Float) {
        var sum: Double = 0
        for i in 0..<n { sum += Double(gray(v, i, n)) }
        let mean = Float(sum / Double(n))
        for i in v.indices { v[i] = clamp01(f * v[i] + (1 - f) * mean) }
    }

    public static func adjustSaturation(_ v: inout [Float], n: Int, _ f: Float) {
        for i in 0..<n {
            let g = gray(v, i, n)
            for c in 0..<3 { v[c * n + i] = clamp01(f * v[c * n + i] + (1 - f) * g) }
        }
    }

    /// Shifts hue by `shift` (a fraction of the colour circle), via torchvision's `_rgb2hsv` / `_hsv2rgb`.
    public static func adjustHue(_ v: inout [Float], n: Int, _ shift: Float) {
        for i in 0..<n {
            let r = v[i], g = v[n + i], b = v[2 * n + i]
            let maxc = max(r, g, b), minc = min(r, g, b)
            let eq = maxc == minc, cr = maxc - minc
            let s = cr / (eq ? 1 : maxc)
            let div = eq ? 1 : cr
            let rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div
            var hh: Float = 0
            if maxc == r { hh = bc - gc } else if maxc == g { hh = 2 + rc - bc } else { hh = 4 + gc - rc }
            var hue = (hh / 6 + 1).truncatingRemainder(dividingBy: 1)
            hue = (hue + shift).truncatingRemainder(dividingBy: 1)
            if hue < 0 { hue += 1 }
            let i6 = (hue * 6).rounded(.down), f = hue * 6 - i6
            let p = clamp01(maxc * (1 - s)), q = clamp01(maxc * (1 - s * f)), t = clamp01(maxc * (1 - s * (1 - f)))
            let (nr, ng, nb): (Float, Float, Float)
            switch Int(i6) % 6 {
            case 0: (nr, ng, nb) = (maxc, t, p)
            case 1: (nr, ng, nb) = (q, maxc, p)
            case 2: (nr, ng, nb) = (p, maxc, t)
            case 3: (nr, ng, nb) = (p, q, maxc)
            case 4: (nr, ng, nb) = (t, p, maxc)
            default: (nr, ng, nb) = (maxc, p, q)
            }
            v[i] = nr; v[n + i] = ng; v[2 * n + i] = nb
        }
    }
}

/// A seeded training transform: RGB -> ``RandomResizedCrop`` ->
/// ``RandomHorizontalFlip`` -> to tensor -> optional ``ColorJitter`` ->
/// normalize. Output `[3, size, size]`; the same generator state gives the same output.
public struct TrainImageTransform: Sendable {
    public var crop: RandomResizedCrop
    public var flip: RandomHorizontalFlip
    public var jitter: ColorJitter?
    public var mean: [Float]
    public var std: [Float]

    public init(size: Int, mean: [Float], std: [Float], scale: ClosedRange<Double> = 0.08...1,
                filter: ImageResizeFilter = .bilinear, flipProbability: Float = 0.5, jitter: ColorJitter? = nil) {
        precondition(mean.count == 3 && std.count == 3, "TrainImageTransform: mean and std need 3 values (RGB)")
        crop = RandomResizedCrop(size: size, scale: scale, filter: filter)
        flip = RandomHorizontalFlip(p: flipProbability)
        self.jitter = jitter
        self.mean = mean
        self.std = std
    }

    public func callAsFunction(_ image: ImageBuffer, generator: RandomGenerator) -> Tensor {
        var t = flip(crop(image.rgb(), generator: generator), generator: generator).toTensor()
        if let jitter { t = jitter(t, generator: generator) }
        let n = t.shape[1] * t.shape[2], p = t.pointer
        for c in 0..<3 { for i in 0..<n { p[c * n + i] = (p[c * n + i] - mean[c]) / std[c] } }
        return t
    }
}
