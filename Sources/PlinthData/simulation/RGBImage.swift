/// An 8-bit RGB image, the camera frame of the control tasks.
///
/// Layout HWC: rows top to bottom, pixels left to right, 3 bytes (R, G, B) per
/// pixel, so the byte of channel `c` at column `x`, row `y` is
/// `pixels[(y * width + x) * 3 + c]`.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// [height, width, 3] bytes.
    public var pixels: [UInt8]

    /// An image of `pixels` ([height, width, 3]); traps when the count does not match.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "RGBImage: size \(width)x\(height) must be positive")
        precondition(pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3 = \(width * height * 3)")
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// The colour at column `x`, row `y` (row 0 is the top).
    public subscript(x: Int, y: Int) -> SIMD3<UInt8> {
        precondition(x >= 0 && x < width && y >= 0 && y < height,
                     "RGBImage: pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = (y * width + x) * 3
        return SIMD3(pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
