import Foundation

/// An error raised while reading or writing a safetensors file.
///
/// Every failure of ``SafetensorsFile`` and ``writeSafetensors(to:tensors:metadata:)``
/// is reported as a thrown `SafetensorsError`; neither ever traps on bad input.
/// ``description`` is a complete, human-readable sentence that names the file,
/// the tensor or header field concerned, the byte offset where one is relevant,
/// and what was expected instead. ``kind`` lets code branch on the category
/// without parsing text.
public struct SafetensorsError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// The category of a failure.
    public enum Kind: Sendable, Equatable {
        /// The operating system refused an operation (open, mmap, write, fsync, rename...).
        case io
        /// The file is shorter than the 8-byte header length, or than the header it declares.
        case truncated
        /// The header length exceeds ``SafetensorsFile/maxHeaderLength``, or the header is
        /// not valid UTF-8 JSON, or is not a JSON object.
        case invalidHeader
        /// A tensor entry or `__metadata__` is missing a field, has a field of the wrong
        /// JSON type, an unknown dtype, a bad shape, or bad `data_offsets`.
        case invalidEntry
        /// The tensors' byte ranges overlap, leave gaps, or do not cover the data section.
        case invalidLayout
        /// The tensor's dtype is a valid safetensors dtype that this reader does not decode.
        case unsupportedDType
        /// The tensor's dtype cannot be decoded by the requested accessor (e.g. `int64s` on F32).
        case dtypeMismatch
        /// No tensor has the requested name.
        case tensorNotFound
        /// A destination buffer's element count differs from the tensor's.
        case countMismatch
        /// A tensor passed to the writer is invalid (bad name, duplicate, shape/byte-count mismatch).
        case invalidArgument
    }

    /// The category of the failure.
    public let kind: Kind
    /// The path of the file being read or written.
    public let path: String
    /// What went wrong, without the path.
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "safetensors file '\(path)': \(message)" }

    public var errorDescription: String? { description }
}
