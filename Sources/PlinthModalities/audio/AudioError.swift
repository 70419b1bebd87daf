/// A failure to decode or process audio: names the source (a file path or
/// `"<memory>"`) and what was wrong with it.
///
/// Thrown for bad data (zero-byte, truncated or corrupt files, audio without
/// frames, implausible sample rates or channel counts, headers declaring more
/// samples than `AudioDecoder.Limits` allow) and for arguments that cannot be
/// honoured (a resampling rate of zero). Never a trap: hostile input must not crash.
public struct AudioError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened (missing, unreadable, or an unknown format).
        case unreadable
        /// The header or the data is malformed, or the data ends early.
        case corrupt
        /// The stream holds no frames.
        case empty
        /// Sample rate outside `Limits.sampleRates`.
        case badSampleRate
        /// Channel count outside `1...Limits.maxChannels`.
        case badChannelCount
        /// frames * channels above `Limits.maxSamples` (checked before allocation).
        case tooLong
        /// An argument to a processing function is out of range.
        case invalidArgument
    }

    public let kind: Kind
    /// The file path, or `"<memory>"` for in-memory bytes.
    public let source: String
    public let message: String

    public init(_ kind: Kind, source: String, _ message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String { "audio '\(source)': \(message)" }
}
