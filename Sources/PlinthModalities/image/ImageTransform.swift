import Foundation
import PlinthTensor

/// Deterministic evaluation preprocessing: decode -> RGB -> resize the
/// shortest side -> center crop -> to tensor -> normalize.
///
/// Output: `[3, size, size]` Float32, `(x / 255 - mean[c]) / std[c]`. Matches
/// torchvision's `Compose([Resize(resize, interpolation), CenterCrop(size),
/// ToTensor(), Normalize(mean, std)])` applied to a PIL image, bit for bit up
/// to Float32 rounding, because the resize reproduces PIL's fixed-point filters.
public struct ImageTransform: Sendable {
    public var size: Int
    public var resize: Int
    public var filter: ImageResizeFilter
    public var mean: [Float]
    public var std: [Float]

    /// The transform of a preset of modalities/image.yaml; an interpolation
    /// other than "bicubic" or "bilinear" is an error naming the valid ones.
    public init(preset p: ImagePreset) throws {
        guard let filter = ImageResizeFilter(rawValue: p.interpolation.lowercased()) else {
            throw ImageError(.unsupported, path: "modalities/image.yaml",
                             "interpolation '\(p.interpolation)' is not one of: bicubic, bilinear")
        }
        self.init(size: p.size, resize: p.resize, filter: filter, mean: p.mean, std: p.std)
    }

    public init(size: Int, resize: Int, filter: ImageResizeFilter, mean: [Float], std: [Float]) {
        precondition(size > 0 && resize > 0, "ImageTransform: size \(size) and resize \(resize) must be positive")
        precondition(mean.count == 3 && std.count == 3, "ImageTransform: mean and std need 3 values (RGB)")
        self.size = size
        self.resize = resize
        self.filter = filter
        self.mean = mean
        self.std = std
    }

    /// The size torchvision's `Resize(int)` gives: the shortest side becomes
    /// `shortest`, the other `Int(shortest * long / short)` (truncated).
    public static func resizedSize(width: Int, height: Int, shortest: Int) -> (width: Int, height: Int) {
        let short = min(width, height), long = max(width, height)
        if short == shortest { return (width, height) }
        let newLong = Int(Double(shortest) * Double(long) / Double(short))
        return width <= height ? (shortest, newLong) : (newLong, shortest)
    }

    /// torchvision's `CenterCrop`: offsets `round((in - out) / 2)` (half to even,
    /// Python's `round`); zero padding when the crop is larger than the image.
    public static func centerCrop(_ image: ImageBuffer, width: Int, height: Int) -> ImageBuffer {
        func offset(_ inSize: Int, _ outSize: Int) -> Int {
            if outSize > inSize { return -((outSize - inSize) / 2) }
            return Int((Double(inSize - outSize) / 2).rounded(.toNearestOrEven))
        }
        return image.cropped(left: offset(image.width, width), top: offset(image.height, height), width: width, height: height)
    }

    /// Resize + center crop of an RGB image (the uint8 part of the pipeline).
    public func resizeAndCrop(_ image: ImageBuffer) -> ImageBuffer {
        let rgb = image.rgb()
        let target = Self.resizedSize(width: rgb.width, height: rgb.height, shortest: resize)
        let resized = PILResample.resize(rgb, width: target.width, height: target.height, filter: filter)
        return Self.centerCrop(resized, width: size, height: size)
    }

    /// `(x / 255 - mean) / std` into a new `[3, H, W]` tensor.
    public func normalize(_ image: ImageBuffer) -> Tensor {
        precondition(image.layout == .rgb, "ImageTransform.normalize: expected RGB")
        let t = image.toTensor()
        let n = image.width * image.height, p = t.pointer
        for c in 0..<3 {
            let m = mean[c], s = std[c]
            for i in 0..<n { p[c * n + i] = (p[c * n + i] - m) / s }
        }
        return t
    }

    /// The normalized `[3, size, size]` tensor for a decoded image.
    public func callAsFunction(_ image: ImageBuffer) -> Tensor { normalize(resizeAndCrop(image)) }

    /// Decodes and preprocesses the file at `path`.
    public func callAsFunction(contentsOf path: String) throws -> Tensor {
        try self(ImageDecoder.decode(contentsOf: path))
    }

    /// Decodes and preprocesses encoded bytes.
    public func callAsFunction(data: Data, path: String = "<memory>") throws -> Tensor {
        try self(ImageDecoder.decode(data, path: path))
    }

    /// Preprocesses `paths` in parallel into `[N, 3, size, size]`.
    /// Throws the first failing file's ``ImageError`` (in path order).
    public func batch(contentsOf paths: [String]) throws -> Tensor {
        let per = 3 * size * size
        let out = Tensor(uninitialized: [paths.count, 3, size, size])
        let dst = ImageRowPointer(out.pointer)
        let errors = ErrorSlots(count: paths.count)
        Threads.parallelFor(paths.count, grain: 1) { range in
            for i in range {
                do {
                    let t = try self(contentsOf: paths[i])
                    (dst.p + i * per).update(from: t.pointer, count: per)
                } catch {
                    errors.set(i, error)
                }
            }
        }
        if let first = errors.first() { throw first }
        return out
    }
}

/// One error slot per batch item; each chunk writes only its own indices.
private final class ErrorSlots: @unchecked Sendable {
    private var slots: [Error?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ e: Error) { lock.lock(); slots[i] = e; lock.unlock() }
    func first() -> Error? { slots.compactMap { $0 }.first }
}
