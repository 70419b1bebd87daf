import PlinthTensor

/// ImageBind's (and AST's) audio input: Kaldi fbank of a mean-removed clip,
/// transposed to mel-major, zero-padded or cropped to a fixed frame count, then
/// normalized.
///
/// Mirrors ImageBind's `waveform2melspec` + `Normalize(mean, std)`:
///   x = wave - mean(wave); F = KaldiFbank(x)  [T, M]
///   S = F^T padded with zeros (or cropped) to `targetFrames`  [M, targetFrames]
///   out = (S - mean) / std      (padding becomes -mean / std, as in ImageBind)
/// Output `[M, targetFrames]` (M mel bins); a leading channel axis is the model's business.
/// Defaults are the ImageBind preset: 16 kHz, 128 mels, 25 ms Hann window, 10 ms
/// shift, 204 frames, mean -4.268, std 9.138.
public struct ImageBindFbank: Sendable {
    public let fbank: KaldiFbank
    public let targetFrames: Int
    public let mean: Float
    public let std: Float

    public init(sampleRate: Int = 16000, melBins: Int = 128, frameLengthMs: Double = 25, frameShiftMs: Double = 10,
                targetFrames: Int = 204, mean: Float = -4.268, std: Float = 9.138) {
        precondition(targetFrames > 0 && std > 0, "ImageBindFbank: targetFrames \(targetFrames), std \(std)")
        fbank = KaldiFbank(sampleRate: sampleRate, melBins: melBins, frameLengthMs: frameLengthMs,
                           frameShiftMs: frameShiftMs, window: .hanning)
        self.targetFrames = targetFrames
        self.mean = mean
        self.std = std
    }

    /// Features of one mono clip at `fbank.sampleRate`. `[melBins, targetFrames]`.
    public func callAsFunction(_ wave: [Float]) -> Tensor {
        var centered = wave
        if !wave.isEmpty {
            var s = 0.0
            for v in wave { s += Double(v) }
            let m = Float(s / Double(wave.count))
            for i in centered.indices { centered[i] -= m }
        }
        let feats = fbank(centered)  // [T, M]
        let t = feats.shape[0], mBins = fbank.melBins
        let out = Tensor(uninitialized: [mBins, targetFrames])
        let src = feats.pointer, dst = out.pointer
        let pad = (0 - mean) / std
        for b in 0..<mBins {
            for f in 0..<targetFrames {
                dst[b * targetFrames + f] = f < t ? (src[f * mBins + b] - mean) / std : pad
            }
        }
        return out
    }

    /// Features of a waveform: downmixed to mono; its rate must equal `fbank.sampleRate`.
    public func callAsFunction(_ audio: Waveform) throws -> Tensor {
        guard audio.sampleRate == fbank.sampleRate else {
            throw AudioError(.invalidArgument, source: "<fbank>",
                             "waveform is at \(audio.sampleRate) Hz, features expect \(fbank.sampleRate) Hz; resample first")
        }
        return self(audio.mono().channel(0))
    }
}
