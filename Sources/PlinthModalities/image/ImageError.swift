import Foundation

/// A thrown error for bad image data or a failed image write.
///
/// Every error names the file (or `<memory>` for in-memory data) and says what
/// was wrong, where possible with the byte offset and what was expected
/// (DESIGN.md section 7). Decoders never crash on hostile input that fails
/// these checks; dimensions are bounded by ``ImageLimits`` before any pixel
/// buffer is allocated.
public struct ImageError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be read (missing, permissions).
        case unreadable
        /// Zero bytes.
        case empty
        /// The magic bytes match neither PNG nor JPEG.
        case unknownFormat
        /// The data ends before the image is complete.
        case truncated
        /// A structural or checksum error, or a decoder-reported error.
        case corrupt
        /// Declared dimensions exceed ``ImageLimits``.
        case tooLarge
        /// Valid but unsupported (e.g. 12-bit JPEG).
        case unsupported
        /// Writing an output file failed.
        case writeFailed
    }

    public let kind: Kind
    /// The file path, or `<memory>`.
    public let path: String
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "image '\(path)': \(message)" }
    public var errorDescription: String? { description }
}

/// Limits checked before allocating pixel memory for a decoded image.
public enum ImageLimits {
    /// Largest accepted width or height.
    public static let maxSide = 16384
    /// Largest accepted width * height (100 megapixels).
    public static let maxPixels = 100_000_000

    /// Throws `.tooLarge` (or `.corrupt` for a zero side) unless `width` x `height` is acceptable.
    static func check(width: Int, height: Int, path: String) throws {
        guard width > 0, height > 0 else {
            throw ImageError(.corrupt, path: path, "image declares a zero dimension (\(width) x \(height))")
        }
        guard width <= maxSide, height <= maxSide, width * height <= maxPixels else {
            throw ImageError(.tooLarge, path: path,
                             "image declares \(width) x \(height) pixels; the limit is \(maxSide) per side and \(maxPixels) pixels")
        }
    }
}
