import Foundation

/// A thrown error for a bad manifest, a bad data file, a missing system
/// package or tool, or a loader asked for something a record lacks.
///
/// Every error names its source (a file path, or the API that was misused) and,
/// where they apply, the 1-based line and the field (DESIGN.md section 7).
public struct DataError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A manifest line is not a valid record.
        case invalidManifest
        /// A data file (IDX, transcript list, caption) is malformed or truncated.
        case corrupt
        /// A file could not be read or written.
        case io
        /// A size limit was exceeded before allocation.
        case tooLarge
        /// A Debian package the dataset comes from is not installed.
        case missingPackage
        /// An external program (espeak-ng, gzip) is missing or failed.
        case tool
        /// A record lacks a field the loader was asked to load.
        case missingField
        /// An argument or configuration that cannot be honoured.
        case invalidArgument
    }

    public let kind: Kind
    /// The file path, or the API that was called.
    public let source: String
    /// The 1-based line in `source`, when it is a text file.
    public let line: Int?
    /// The manifest field or file header field at fault.
    public let field: String?
    public let message: String

    public init(_ kind: Kind, source: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.kind = kind
        self.source = source
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var place = "'\(source)'"
        if let line { place += " line \(line)" }
        if let field { place += " field '\(field)'" }
        return "data \(place): \(message)"
    }

    public var errorDescription: String? { description }

    /// The error for a missing Debian package: names it and the setup script.
    static func missingPackage(_ package: String, path: String) -> DataError {
        DataError(.missingPackage, source: path,
                  "not found; install the Debian package \(package) (run scripts/setup.sh)")
    }
}
