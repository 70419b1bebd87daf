import PlinthModalities

/// Bounds on what one request may ask of the server, checked before the work
/// (and, for uploads, before decoding allocates).
public struct ServerLimits: Sendable {
    /// Largest request body (default 16 MiB).
    public var maxUploadBytes = 16 << 20
    /// Largest JSON body (64 KiB).
    public var maxJSONBytes = 64 << 10
    /// Longest text query, in characters.
    public var maxTextCharacters = 1000
    /// Results per search: 1 through `maxK`; `defaultK` when a request names none.
    public var maxK = 100
    public var defaultK = 8
    /// Labels per zero-shot classification, and characters per label.
    public var maxLabels = 64
    public var maxLabelCharacters = 100
    /// Decoded sounds: at most ten minutes of 48 kHz stereo.
    public var audio = AudioDecoder.Limits(maxSamples: 600 * 48_000 * 2, maxChannels: 2)

    public init() {}
}
