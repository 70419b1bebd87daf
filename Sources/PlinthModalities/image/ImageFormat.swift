import Foundation
import PlinthTensor

/// Encoded image formats Plinth decodes, detected from magic bytes.
public enum ImageFormat: String, Sendable, Equatable {
    case png, jpeg

    /// The format whose signature starts `bytes`, or nil.
    /// PNG: `89 50 4E 47 0D 0A 1A 0A`; JPEG: `FF D8 FF`.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, (0..<8).allSatisfy({ bytes[$0] == png[$0] }) { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        return nil
    }
}

/// Decodes PNG and JPEG files or bytes into ``ImageBuffer``s.
///
/// The format comes from the magic bytes, not the file name. The EXIF
/// orientation (a JPEG's APP1 Exif segment, a PNG's eXIf chunk) is applied
/// (all 8 orientations), so the result is upright as PIL's
/// `ImageOps.exif_transpose` gives it. Bad data throws ``ImageError``.
public enum ImageDecoder {
    /// Decodes the image file at `path`. `exifOrientation: false` keeps the stored pixel order.
    public static func decode(contentsOf path: String, exifOrientation: Bool = true) throws -> ImageBuffer {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError(.unreadable, path: path, "cannot read the file (missing or not readable)")
        }
        return try decode(data, path: path, exifOrientation: exifOrientation)
    }

    /// Decodes encoded image bytes; `path` is only used in error messages.
    public static func decode(_ data: Data, path: String = "<memory>", exifOrientation: Bool = true) throws -> ImageBuffer {
        try data.withUnsafeBytes { try decode($0, path: path, exifOrientation: exifOrientation) }
    }

    /// Decodes encoded image bytes; `path` is only used in error messages.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>",
                              exifOrientation: Bool = true) throws -> ImageBuffer {
        guard bytes.count > 0 else { throw ImageError(.empty, path: path, "the file is empty (0 bytes)") }
        switch ImageFormat.detect(bytes) {
        case .png: return try PNGDecoder.decode(bytes, path: path, exifOrientation: exifOrientation)
        case .jpeg: return try JPEGDecoder.decode(bytes, path: path, exifOrientation: exifOrientation)
        case nil:
            let head = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw ImageError(.unknownFormat, path: path,
                             "unknown image format: first bytes \(head) match neither PNG (89 50 4E 47) nor JPEG (FF D8 FF)")
        }
    }

    /// Decodes and converts to RGB, then returns `[3, H, W]` in [0, 1].
    public static func decodeTensor(contentsOf path: String) throws -> Tensor {
        try decode(contentsOf: path).rgb().toTensor()
    }
}
