import Foundation
import PlinthTensor

/// Log mel filter-bank energies, numerically matching
/// `torchaudio.compliance.kaldi.fbank` (Kaldi's compute-fbank-feats) with
/// `use_energy=False`, `use_log_fbank=True`, `use_power=True`, `snip_edges=True`,
/// `dither=0`, `round_to_power_of_two=True`, no VTLN; `htk_compat` only moves the
/// energy column, which is off here.
///
/// Per frame f (F = 1 + (N - L) / S frames of L = sr * frame_length samples,
/// shift S = sr * frame_shift; F = 0 when N < L):
///   1. x = wave[f S ..< f S + L]; x -= mean(x)                 (remove_dc_offset)
///   2. x[i] -= 0.97 x[i - 1], with x[-1] = x[0]                (preemphasis)
///   3. x *= window (hanning: 0.5 - 0.5 cos(2 pi i / (L - 1)); povey: hanning^0.85; ...)
///   4. zero-pad to P = next power of two >= L (512 for 400), power |FFT|^2, bins 0...P/2
///   5. e[b] = sum_k power[k] * bank[b, k], bank on the HTK mel scale
///      mel(f) = 1127 ln(1 + f / 700), triangles between low_freq (20 Hz) and
///      high_freq (Nyquist) with num_bins + 2 equally spaced mel edges; the
///      Nyquist bin has weight 0 (torchaudio pads the bank with a zero column)
///   6. log(max(e, FLT_EPSILON))
/// Output `[F, num_mel_bins]` (frames first, torchaudio's layout).
public struct KaldiFbank: Sendable {
    public enum Window: String, Sendable { case hanning, povey, hamming, rectangular, blackman }

    public let sampleRate: Int
    public let melBins: Int
    public let windowSize: Int
    public let windowShift: Int
    public let paddedSize: Int
    public let preemphasis: Float
    public let removeDCOffset: Bool
    public let lowFrequency: Double
    public let highFrequency: Double
    /// `[L]`, the analysis window.
    public let window: [Double]
    /// `[melBins, P/2 + 1]` row-major, Float32 as torchaudio computes it.
    public let melBank: [Float]
    private let fft: FFT
    /// Nonzero span of each bank row.
    private let spans: [Range<Int>]

    /// - Parameters: frame length and shift in milliseconds; `highFrequency` <= 0
    ///   counts back from the Nyquist frequency (Kaldi's convention).
    public init(sampleRate: Int = 16000, melBins: Int = 128, frameLengthMs: Double = 25, frameShiftMs: Double = 10,
                window: Window = .hanning, preemphasis: Float = 0.97, removeDCOffset: Bool = true,
                lowFrequency: Double = 20, highFrequency: Double = 0) {
        precondition(sampleRate > 0 && melBins > 3, "KaldiFbank: need sampleRate > 0 and melBins > 3")
        self.sampleRate = sampleRate
        self.melBins = melBins
        windowSize = Int(Double(sampleRate) * frameLengthMs * 0.001)
        windowShift = Int(Double(sampleRate) * frameShiftMs * 0.001)
        precondition(windowSize >= 2 && windowShift > 0, "KaldiFbank: window \(windowSize) and shift \(windowShift) samples")
        var p = 1
        while p < windowSize { p *= 2 }
        paddedSize = p
        self.preemphasis = preemphasis
        self.removeDCOffset = removeDCOffset
        self.lowFrequency = lowFrequency
        let nyquist = 0.5 * Double(sampleRate)
        self.highFrequency = highFrequency <= 0 ? highFrequency + nyquist : highFrequency
        let l = windowSize
        let a = 2 * Double.pi / Double(l - 1)
        self.window = (0..<l).map { i -> Double in
            let hann = 0.5 - 0.5 * cos(a * Double(i))
            switch window {
            case .hanning: return hann
            case .povey: return pow(hann, 0.85)
            case .hamming: return 0.54 - 0.46 * cos(a * Double(i))
            case .rectangular: return 1
            case .blackman: return 0.42 - 0.5 * cos(a * Double(i)) + 0.08 * cos(2 * a * Double(i))
            }
        }
        melBank = KaldiFbank.melBanks(bins: melBins, paddedSize: p, sampleRate: Double(sampleRate),
                                      low: lowFrequency, high: self.highFrequency)
        fft = FFT(p)
        spans = nonzeroSpans(melBank, rows: melBins, cols: p / 2 + 1)
    }

    /// torchaudio's `get_mel_banks` (vtln_warp 1), evaluated in Float32 as torch
    /// does, plus the zero Nyquist column. `[bins, P/2 + 1]`.
    static func melBanks(bins: Int, paddedSize: Int, sampleRate: Double, low: Double, high: Double) -> [Float] {
        func mel(_ f: Double) -> Double { 1127.0 * log(1.0 + f / 700.0) }
        let melLow = mel(low), melHigh = mel(high)
        let delta = Float((melHigh - melLow) / Double(bins + 1))
        let lowF = Float(melLow)
        let fftBins = paddedSize / 2
        let binWidth = Float(sampleRate / Double(paddedSize))
        let mels: [Float] = (0..<fftBins).map { k in 1127.0 * logf(1.0 + (binWidth * Float(k)) / 700.0) }
        var bank = [Float](repeating: 0, count: bins * (fftBins + 1))
        for b in 0..<bins {
            let left = Float(b) * delta + lowF
            let center = (Float(b) + 1) * delta + lowF
            let right = (Float(b) + 2) * delta + lowF
            for k in 0..<fftBins {
                let up = (mels[k] - left) / (center - left)
                let down = (right - mels[k]) / (right - center)
                bank[b * (fftBins + 1) + k] = max(0, min(up, down))
            }
        }
        return bank
    }

    /// Number of frames for `n` samples (snip_edges): 1 + (n - L) / S, or 0.
    public func frameCount(_ n: Int) -> Int { n < windowSize ? 0 : 1 + (n - windowSize) / windowShift }

    /// Log mel energies of a mono signal at `sampleRate`. `[F, melBins]`.
    public func callAsFunction(_ wave: [Float]) -> Tensor {
        let frames = frameCount(wave.count)
        let out = Tensor(uninitialized: [frames, melBins])
        if frames == 0 { return out }
        let outAddr = UInt(bitPattern: out.pointer)
        let eps = Float.ulpOfOne  // torch.finfo(float32).eps, Kaldi's floor
        let cols = paddedSize / 2 + 1
        wave.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            let wAddr = UInt(bitPattern: w)
            Threads.parallelFor(frames, grain: 16) { range in
                let w = UnsafePointer<Float>(bitPattern: wAddr)!
                let out = UnsafeMutablePointer<Float>(bitPattern: outAddr)!
                var frame = [Double](repeating: 0, count: paddedSize)
                var power = [Double](repeating: 0, count: cols)
                let workspace = FFT.Workspace(for: fft)
                for f in range {
                    let start = f * windowShift
                    var mean = 0.0
                    for i in 0..<windowSize { frame[i] = Double(w[start + i]); mean += frame[i] }
                    mean /= Double(windowSize)
                    if removeDCOffset { for i in 0..<windowSize { frame[i] -= mean } }
                    if preemphasis != 0 {
                        let c = Double(preemphasis)
                        for i in stride(from: windowSize - 1, to: 0, by: -1) { frame[i] -= c * frame[i - 1] }
                        frame[0] -= c * frame[0]
                    }
                    for i in 0..<windowSize { frame[i] *= window[i] }
                    for i in windowSize..<paddedSize { frame[i] = 0 }
                    fft.powerSpectrum(frame, into: &power, workspace: workspace)
                    for b in 0..<melBins {
                        var e = 0.0
                        let row = b * cols
                        for k in spans[b] { e += power[k] * Double(melBank[row + k]) }
                        out[f * melBins + b] = logf(max(Float(e), eps))
                    }
                }
            }
        }
        return out
    }
}
