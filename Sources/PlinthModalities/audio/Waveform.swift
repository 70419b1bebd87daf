import PlinthTensor

/// Decoded audio: Float32 samples, channels first, plus the sample rate.
///
/// `samples` is a contiguous tensor of shape `[C, N]` (C channels, N frames),
/// values nominally in [-1, 1] (integer PCM is scaled by 1 / 2^(bits-1), as
/// libsndfile and soundfile do).
public struct Waveform: Sendable {
    /// `[C, N]`, contiguous.
    public let samples: Tensor
    /// Frames per second.
    public let sampleRate: Int

    public init(samples: Tensor, sampleRate: Int) {
        precondition(samples.rank == 2, "Waveform: samples must be [channels, frames], got \(samples.shape)")
        self.samples = samples.isContiguous ? samples : samples.copy()
        self.sampleRate = sampleRate
    }

    /// A mono waveform from one channel of values.
    public init(mono values: [Float], sampleRate: Int) {
        self.init(samples: Tensor(values, shape: [1, values.count]), sampleRate: sampleRate)
    }

    public var channels: Int { samples.shape[0] }
    public var frames: Int { samples.shape[1] }
    /// Length in seconds.
    public var duration: Double { Double(frames) / Double(sampleRate) }

    /// The single channel of a mono waveform, or the mean of the channels:
    /// `y[n] = (1/C) sum_c x[c, n]` (torch's `waveform.mean(0)`). Shape `[1, N]`.
    public func mono() -> Waveform {
        if channels == 1 { return self }
        let (c, n) = (channels, frames)
        let out = Tensor(uninitialized: [1, n])
        let src = samples.pointer, dst = out.pointer
        for i in 0..<n {
            var s: Float = 0
            for ch in 0..<c { s += src[ch * n + i] }
            dst[i] = s / Float(c)
        }
        return Waveform(samples: out, sampleRate: sampleRate)
    }

    /// The samples of channel `c` as an array.
    public func channel(_ c: Int) -> [Float] {
        precondition(c >= 0 && c < channels, "Waveform.channel: \(c) out of range for \(channels) channels")
        return Array(UnsafeBufferPointer(start: samples.pointer + c * frames, count: frames))
    }
}
