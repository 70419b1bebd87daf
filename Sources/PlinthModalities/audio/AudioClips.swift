import PlinthTensor

/// Fitting audio to a fixed clip length and splitting long audio into clips.
///
/// All functions work on one channel of samples (`[N]`); the `Waveform`
/// overloads apply them to every channel of `[C, N]`.
///   - zero pad:   x followed by L - N zeros (torch `F.pad(x, (0, L - N))`)
///   - repeat pad: x tiled until L samples (AST / CLAP "repeatpad"); silence if N = 0
///   - crop:       x[offset ..< offset + L]
///   - split:      clips starting at 0, hop, 2 hop, ... while start + L <= N; with
///                 `keepTail`, one more padded clip at the next hop position when
///                 samples remain there; audio shorter than L gives one padded clip
public enum AudioClips {
    public enum Padding: String, Sendable {
        /// Append zeros.
        case zeros
        /// Repeat the signal from its start.
        case repeating
    }

    /// Clip length in samples for `seconds` at `sampleRate` (rounded to nearest).
    public static func sampleCount(seconds: Double, sampleRate: Int) -> Int {
        Int((seconds * Double(sampleRate)).rounded())
    }

    /// Pads (by `padding`) or crops (from `offset`, clamped) to exactly `length` samples.
    public static func fit(_ x: [Float], length: Int, padding: Padding = .zeros, offset: Int = 0) -> [Float] {
        precondition(length >= 0, "AudioClips.fit: negative length \(length)")
        if x.count >= length {
            let start = min(max(0, offset), x.count - length)
            return Array(x[start..<(start + length)])
        }
        return pad(x, length: length, padding: padding)
    }

    /// Pads to `length` samples (no-op when already at least that long).
    public static func pad(_ x: [Float], length: Int, padding: Padding = .zeros) -> [Float] {
        if x.count >= length { return x }
        var out = x
        out.reserveCapacity(length)
        switch padding {
        case .zeros:
            out.append(contentsOf: repeatElement(0, count: length - x.count))
        case .repeating:
            if x.isEmpty { return [Float](repeating: 0, count: length) }
            while out.count < length { out.append(contentsOf: x.prefix(length - out.count)) }
        }
        return out
    }

    /// Start offsets of the clips `split` returns for `n` samples.
    public static func clipStarts(count n: Int, length: Int, hop: Int, keepTail: Bool = true) -> [Int] {
        precondition(length > 0 && hop > 0, "AudioClips: length \(length) and hop \(hop) must be positive")
        if n <= length { return [0] }
        var starts = Array(stride(from: 0, through: n - length, by: hop))
        if keepTail, let last = starts.last, last + length < n, last + hop < n { starts.append(last + hop) }
        return starts
    }

    /// Splits into clips of `length` samples every `hop` samples; clips that run
    /// past the end are padded with `padding`.
    public static func split(_ x: [Float], length: Int, hop: Int, keepTail: Bool = true,
                             padding: Padding = .zeros) -> [[Float]] {
        clipStarts(count: x.count, length: length, hop: hop, keepTail: keepTail).map { s in
            pad(Array(x[s..<min(x.count, s + length)]), length: length, padding: padding)
        }
    }

    /// `fit` applied to every channel.
    public static func fit(_ audio: Waveform, length: Int, padding: Padding = .zeros, offset: Int = 0) -> Waveform {
        let rows = (0..<audio.channels).map { fit(audio.channel($0), length: length, padding: padding, offset: offset) }
        return Waveform(samples: .init(rows.flatMap { $0 }, shape: [audio.channels, length]), sampleRate: audio.sampleRate)
    }

    /// `split` applied to every channel; clip lengths and hops in seconds.
    public static func split(_ audio: Waveform, seconds: Double, hopSeconds: Double, keepTail: Bool = true,
                             padding: Padding = .zeros) -> [Waveform] {
        let length = max(1, sampleCount(seconds: seconds, sampleRate: audio.sampleRate))
        let hop = max(1, sampleCount(seconds: hopSeconds, sampleRate: audio.sampleRate))
        let channels = (0..<audio.channels).map { audio.channel($0) }
        return clipStarts(count: audio.frames, length: length, hop: hop, keepTail: keepTail).map { s in
            let rows = channels.map { pad(Array($0[s..<min($0.count, s + length)]), length: length, padding: padding) }
            return Waveform(samples: .init(rows.flatMap { $0 }, shape: [audio.channels, length]),
                            sampleRate: audio.sampleRate)
        }
    }
}
