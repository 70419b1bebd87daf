import Foundation
import PlinthKernels
import Synchronization
import PlinthTensor

/// Band-limited windowed-sinc resampling, numerically matching
/// `torchaudio.functional.resample` (default `sinc_interp_hann`,
/// `lowpass_filter_width` 6, `rolloff` 0.99).
///
/// With g = gcd(orig, new), o = orig / g and m = new / g, the filter for output
/// phase j (0 <= j < m) and tap k (0 <= k < 2w + o) is, with
/// base = min(o, m) * rolloff and w = ceil(width * o / base):
///
///     t = clamp(((k - w) / o - j / m) * base, -width, width)
///     h[j, k] = sinc(pi t) * cos(pi t / (2 width))^2 * base / o
///
/// and output sample `y[i * m + j] = sum_k x[i * o + k - w] h[j, k]` with x zero
/// outside [0, N), truncated to ceil(m N / o) samples. As in torchaudio, j / m is
/// rounded to Float32 before the rest is computed in Double, and the kernel is
/// rounded to Float32. Works on each channel of `[C, N]` independently.
public struct Resampler: Sendable {
    public let originalRate: Int
    public let targetRate: Int
    public let lowpassFilterWidth: Int
    public let rolloff: Double
    /// o and m: the rates divided by their gcd.
    public let inputStride: Int
    public let outputPhases: Int
    /// w: zero padding on the left, in input samples.
    public let width: Int
    /// `[m, 2w + o]` row-major.
    public let kernel: [Float]
    /// For each phase, the taps from its first to its last nonzero weight: the clamp
    /// of t zeroes the window outside |t| < width, so for downsampling most taps are
    /// 0 (44.1 -> 16 kHz: about 34 of 475). Only these are summed.
    private let spans: [Range<Int>]

    public var taps: Int { 2 * width + inputStride }

    /// Builds the kernel. Rates must be positive (an `AudioError` otherwise).
    public init(from originalRate: Int, to targetRate: Int, lowpassFilterWidth: Int = 6, rolloff: Double = 0.99) throws {
        guard originalRate > 0 && targetRate > 0 else {
            throw AudioError(.invalidArgument, source: "<resample>",
                             "sample rates must be positive, got \(originalRate) -> \(targetRate)")
        }
        guard lowpassFilterWidth > 0 && rolloff > 0 else {
            throw AudioError(.invalidArgument, source: "<resample>",
                             "lowpass filter width \(lowpassFilterWidth) and rolloff \(rolloff) must be positive")
        }
        self.originalRate = originalRate
        self.targetRate = targetRate
        self.lowpassFilterWidth = lowpassFilterWidth
        self.rolloff = rolloff
        var a = originalRate, b = targetRate
        while b != 0 { (a, b) = (b, a % b) }
        let o = originalRate / a, m = targetRate / a
        inputStride = o
        outputPhases = m
        let lw = Double(lowpassFilterWidth)
        let base = Double(min(o, m)) * rolloff
        let w = Int((lw * Double(o) / base).rounded(.up))
        width = w
        let taps = 2 * w + o
        let scale = base / Double(o)
        var k = [Float](repeating: 0, count: m * taps)
        for j in 0..<m {
            let phase = Double(Float(-Double(j)) / Float(m))
            for i in 0..<taps {
                var t = (phase + Double(i - w) / Double(o)) * base
                t = min(max(t, -lw), lw)
                let c = cos(t * Double.pi / lw / 2)
                let window = c * c
                let x = t * Double.pi
                let sinc = x == 0 ? 1.0 : sin(x) / x
                k[j * taps + i] = Float(sinc * window * scale)
            }
        }
        kernel = k
        spans = nonzeroSpans(k, rows: m, cols: taps)
    }

    /// A resampler with the default filter, shared by every caller in the process
    /// (the kernel costs m (2w + o) sines and cosines to build: 2 ms for 44.1 -> 16 kHz).
    public static func shared(from originalRate: Int, to targetRate: Int) throws -> Resampler {
        let key = [originalRate, targetRate]
        if let hit = sharedCache.withLock({ $0[key] }) { return hit }
        let made = try Resampler(from: originalRate, to: targetRate)
        sharedCache.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }  // bounded: a few distinct rates in practice
            cache[key] = made
        }
        return made
    }

    private static let sharedCache = Mutex<[[Int]: Resampler]>([:])

    /// Output length for `n` input frames: ceil(m n / o).
    public func outputLength(_ n: Int) -> Int {
        n == 0 ? 0 : (outputPhases * n + inputStride - 1) / inputStride
    }

    /// Resamples one channel; `limit` keeps only the first `limit` output samples
    /// (the same values as resampling everything and cropping, for less work).
    public func callAsFunction(_ x: [Float], limit: Int = .max) -> [Float] {
        if originalRate == targetRate { return Array(x.prefix(limit)) }
        var y = [Float](repeating: 0, count: min(outputLength(x.count), max(limit, 0)))
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in run(xs.baseAddress!, x.count, ys.baseAddress!, ys.count) }
        }
        return y
    }

    /// Resamples every channel of a waveform at `originalRate`.
    public func callAsFunction(_ audio: Waveform) throws -> Waveform {
        guard audio.sampleRate == originalRate else {
            throw AudioError(.invalidArgument, source: "<resample>",
                             "waveform is at \(audio.sampleRate) Hz, resampler expects \(originalRate) Hz")
        }
        if originalRate == targetRate { return audio }
        let (c, n) = (audio.channels, audio.frames)
        let outN = outputLength(n)
        let out = Tensor(uninitialized: [c, outN])
        for ch in 0..<c { run(audio.samples.pointer + ch * n, n, out.pointer + ch * outN, outN) }
        return Waveform(samples: out, sampleRate: targetRate)
    }

    /// The first `outN` (at most `outputLength(n)`) output samples of x[0 ..< n].
    private func run(_ x: UnsafePointer<Float>, _ n: Int, _ y: UnsafeMutablePointer<Float>, _ outN: Int) {
        let m = outputPhases, o = inputStride, w = width, taps = self.taps
        let xAddr = UInt(bitPattern: x), yAddr = UInt(bitPattern: y)
        kernel.withUnsafeBufferPointer { kb in
            let kAddr = UInt(bitPattern: kb.baseAddress!)
            Threads.parallelFor(outN, grain: 4096) { range in
                let x = UnsafePointer<Float>(bitPattern: xAddr)!, y = UnsafeMutablePointer<Float>(bitPattern: yAddr)!
                let kp = UnsafePointer<Float>(bitPattern: kAddr)!
                for idx in range {
                    let i = idx / m, j = idx % m
                    let start = i * o - w
                    let lo = max(spans[j].lowerBound, -start), hi = min(spans[j].upperBound, n - start)
                    let h = kp + j * taps
                    y[idx] = lo < hi ? pk_dot(x + start + lo, h + lo, Int64(hi - lo)) : 0
                }
            }
        }
    }
}
