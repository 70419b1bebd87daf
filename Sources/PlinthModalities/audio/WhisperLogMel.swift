import Foundation
import PlinthTensor

/// Whisper's log-mel spectrogram (openai-whisper `audio.log_mel_spectrogram`).
///
///   X = STFT(x; n_fft, hop, periodic Hann window, center=True with reflect padding of n_fft/2)
///   P = |X|^2 without the last frame           [n_fft/2 + 1, T], T = N / hop
///   S = filters @ P                             filters: librosa slaney mel bank [M, n_fft/2 + 1]
///   L = log10(max(S, 1e-10)); L = max(L, max(L) - 8); out = (L + 4) / 4
/// Output `[M, T]` (M mel bins, T frames). The max is over the whole input, so
/// pad to the clip length (Whisper: 30 s) before calling to match Whisper exactly.
/// Input must be longer than n_fft / 2 samples (reflect padding needs it).
/// Whisper's own 30 s pipeline (`padding=N_SAMPLES`, then the first 3000 frames)
/// equals `AudioClips.fit(x, length: 480_000)` followed by this transform, for clips up to 30 s.
public struct WhisperLogMel: Sendable {
    public let sampleRate: Int
    public let melBins: Int
    public let nFft: Int
    public let hopLength: Int
    /// `[melBins, nFft/2 + 1]` row-major.
    public let filters: [Float]
    private let window: [Double]
    private let fft: FFT
    /// Nonzero span of each filter row, to skip the zeros in the product.
    private let spans: [Range<Int>]

    public init(sampleRate: Int = 16000, melBins: Int = 80, nFft: Int = 400, hopLength: Int = 160) {
        precondition(sampleRate > 0 && melBins > 0 && nFft >= 2 && hopLength > 0,
                     "WhisperLogMel: sampleRate \(sampleRate), melBins \(melBins), nFft \(nFft), hop \(hopLength)")
        self.sampleRate = sampleRate
        self.melBins = melBins
        self.nFft = nFft
        self.hopLength = hopLength
        filters = SlaneyMel.filters(sampleRate: sampleRate, nFft: nFft, melBins: melBins)
        spans = nonzeroSpans(filters, rows: melBins, cols: nFft / 2 + 1)
        window = (0..<nFft).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(nFft)) }
        fft = FFT(nFft)
    }

    /// Frames produced for `n` samples: n / hop.
    public func frameCount(_ n: Int) -> Int { n / hopLength }

    /// Log-mel of a mono signal at `sampleRate`. `[melBins, N / hop]`.
    public func callAsFunction(_ wave: [Float]) throws -> Tensor {
        let n = wave.count, half = nFft / 2
        guard n > half else {
            throw AudioError(.invalidArgument, source: "<log-mel>",
                             "\(n) samples is too short for reflect padding of \(half); pad the clip first")
        }
        var padded = [Double](repeating: 0, count: n + 2 * half)
        for i in 0..<n { padded[half + i] = Double(wave[i]) }
        for i in 0..<half {
            padded[half - 1 - i] = Double(wave[i + 1])
            padded[half + n + i] = Double(wave[n - 2 - i])
        }
        let frames = frameCount(n), bins = half + 1
        let out = Tensor(uninitialized: [melBins, frames])
        if frames == 0 { return out }
        let outAddr = UInt(bitPattern: out.pointer)
        padded.withUnsafeBufferPointer { pb in
            let pAddr = UInt(bitPattern: pb.baseAddress!)
            Threads.parallelFor(frames, grain: 32) { range in
                let p = UnsafePointer<Double>(bitPattern: pAddr)!
                let out = UnsafeMutablePointer<Float>(bitPattern: outAddr)!
                var frame = [Double](repeating: 0, count: nFft)
                var power = [Double](repeating: 0, count: bins)
                let workspace = FFT.Workspace(for: fft)
                for f in range {
                    for i in 0..<nFft { frame[i] = p[f * hopLength + i] * window[i] }
                    fft.powerSpectrum(frame, into: &power, workspace: workspace)
                    for m in 0..<melBins {
                        var s = 0.0
                        for k in spans[m] { s += Double(filters[m * bins + k]) * power[k] }
                        out[m * frames + f] = Float(log10(max(s, 1e-10)))
                    }
                }
            }
        }
        let count = melBins * frames, o = out.pointer
        var top = -Float.infinity
        for i in 0..<count { top = max(top, o[i]) }
        let floor = top - 8
        for i in 0..<count { o[i] = (max(o[i], floor) + 4) / 4 }
        return out
    }
}

/// For each row of a `[rows, cols]` matrix, the range from its first to its last nonzero entry.
func nonzeroSpans(_ matrix: [Float], rows: Int, cols: Int) -> [Range<Int>] {
    (0..<rows).map { r in
        let row = matrix[(r * cols)..<((r + 1) * cols)]
        guard let first = row.firstIndex(where: { $0 != 0 }), let last = row.lastIndex(where: { $0 != 0 }) else { return 0..<0 }
        return (first - r * cols)..<(last - r * cols + 1)
    }
}

/// librosa's `filters.mel(sr, n_fft, n_mels)` with the defaults Whisper uses:
/// fmin 0, fmax sr / 2, Slaney mel scale (linear below 1 kHz, logarithmic above),
/// Slaney area normalization 2 / (f[m + 2] - f[m]).
public enum SlaneyMel {
    static let fSp = 200.0 / 3
    static let minLogHz = 1000.0
    static let minLogMel = minLogHz / fSp
    static let logStep = log(6.4) / 27

    public static func hzToMel(_ f: Double) -> Double {
        f >= minLogHz ? minLogMel + log(f / minLogHz) / logStep : f / fSp
    }

    public static func melToHz(_ m: Double) -> Double {
        m >= minLogMel ? minLogHz * exp(logStep * (m - minLogMel)) : fSp * m
    }

    /// `[melBins, nFft/2 + 1]` row-major; triangles in Double, stored in Float32
    /// and scaled by the norm as librosa does.
    public static func filters(sampleRate: Int, nFft: Int, melBins: Int) -> [Float] {
        let bins = nFft / 2 + 1
        let sr = Double(sampleRate)
        let fftFreqs = (0..<bins).map { Double($0) * sr / Double(nFft) }
        let lo = hzToMel(0), hi = hzToMel(sr / 2)
        let melF = (0..<(melBins + 2)).map { melToHz(lo + (hi - lo) * Double($0) / Double(melBins + 1)) }
        var w = [Float](repeating: 0, count: melBins * bins)
        for m in 0..<melBins {
            let d0 = melF[m + 1] - melF[m], d1 = melF[m + 2] - melF[m + 1]
            let enorm = 2 / (melF[m + 2] - melF[m])
            for k in 0..<bins {
                let lower = -(melF[m] - fftFreqs[k]) / d0
                let upper = (melF[m + 2] - fftFreqs[k]) / d1
                let tri = Float(max(0, min(lower, upper)))
                w[m * bins + k] = Float(Double(tri) * enorm)
            }
        }
        return w
    }
}
