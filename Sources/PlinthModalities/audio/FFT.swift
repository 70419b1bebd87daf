import Foundation

/// A complex discrete Fourier transform of fixed length n, in Double precision.
///
/// `X[k] = sum_{j<n} x[j] * exp(-2 pi i j k / n)` (forward, unnormalized, numpy's
/// and torch's sign convention). Lengths whose prime factors are all at most 7
/// (400 = 2^4 5^2, 512 = 2^9, ...) use an iterative mixed-radix Stockham
/// decomposition (radices 4, 2, 3, 5, 7; no bit reversal) in O(n sum(p)); other
/// lengths use Bluestein's chirp-z algorithm on a power-of-two FFT of length >= 2n - 1.
///
/// A plan is immutable and `Sendable`. The array entry points allocate; the
/// pointer entry points take a ``Workspace`` (one per thread) and allocate nothing.
public struct FFT: Sendable {
    public let n: Int
    /// Radices in pass order; empty for Bluestein lengths.
    private let factors: [Int]
    /// exp(-2 pi i j / n) for j < n.
    private let cosTable: [Double]
    private let sinTable: [Double]
    private let bluestein: Bluestein?
    /// The n/2-point plan for real input (even n, no Bluestein); empty otherwise.
    private let halfPlan: [FFT]

    /// Doubles of scratch that ``forward(_:_:scratch:)`` needs.
    let forwardScratch: Int
    /// Doubles of scratch that ``powerSpectrum(_:into:workspace:)`` needs.
    let powerScratch: Int

    public init(_ n: Int) {
        precondition(n >= 1, "FFT: length must be positive, got \(n)")
        self.n = n
        var f: [Int] = [], m = n
        for p in [4, 2, 3, 5, 7] { while m % p == 0 { f.append(p); m /= p } }
        cosTable = (0..<n).map { cos(-2 * Double.pi * Double($0) / Double(n)) }
        sinTable = (0..<n).map { sin(-2 * Double.pi * Double($0) / Double(n)) }
        if m == 1 {
            factors = f
            bluestein = nil
            forwardScratch = 2 * n
        } else {
            factors = []
            let b = Bluestein(n)
            bluestein = b
            forwardScratch = 2 * b.m + b.inner[0].forwardScratch
        }
        halfPlan = bluestein == nil && n % 2 == 0 && n >= 4 ? [FFT(n / 2)] : []
        if let half = halfPlan.first {
            powerScratch = n + half.forwardScratch  // z (n/2 complex) + the half plan's scratch
        } else {
            powerScratch = 2 * n + forwardScratch
        }
    }

    /// Scratch memory for one thread's calls to the pointer entry points of one plan.
    public final class Workspace {
        let count: Int
        let buffer: UnsafeMutablePointer<Double>

        public init(for plan: FFT) {
            count = max(plan.forwardScratch, plan.powerScratch)
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: 0, count: count)
        }

        deinit { buffer.deallocate() }
    }

    /// In-place forward transform of `re + i im`, each of length n.
    public func forward(re: inout [Double], im: inout [Double]) {
        precondition(re.count == n && im.count == n, "FFT(\(n)): got \(re.count) real and \(im.count) imaginary values")
        let work = Workspace(for: self)
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { i in forward(r.baseAddress!, i.baseAddress!, scratch: work.buffer) }
        }
    }

    /// In-place forward transform of n values at `re`, `im`; `scratch` holds `forwardScratch` Doubles.
    func forward(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                 scratch: UnsafeMutablePointer<Double>) {
        if let bluestein { bluestein.transform(re, im, scratch: scratch); return }
        // Stockham passes ping-pong between (re, im) and the scratch halves.
        var (xr, xi) = (re, im)
        var (yr, yi) = (scratch, scratch + n)
        var len = n, stride = 1
        for p in factors {
            pass(p, len, stride, xr, xi, yr, yi)
            swap(&xr, &yr)
            swap(&xi, &yi)
            len /= p
            stride *= p
        }
        if xr != re {
            re.update(from: xr, count: n)
            im.update(from: xi, count: n)
        }
    }

    /// Power spectrum `|X[k]|^2` for k in 0...n/2 of a real frame of n values.
    public func powerSpectrum(_ frame: [Double]) -> [Double] {
        precondition(frame.count == n, "FFT(\(n)).powerSpectrum: got \(frame.count) values")
        var out = [Double](repeating: 0, count: n / 2 + 1)
        let work = Workspace(for: self)
        frame.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in powerSpectrum(f.baseAddress!, into: o.baseAddress!, workspace: work) }
        }
        return out
    }

    /// `|X[k]|^2` for k in 0...n/2 of the n real values at `frame`, written to `out`
    /// (n/2 + 1 values). `workspace` must have been made for this plan.
    ///
    /// For even n the frame is packed as z[j] = x[2j] + i x[2j+1] and transformed
    /// at half length; then X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[m-k]) / 2,
    /// O = (Z[k] - conj Z[m-k]) / 2i, W = exp(-2 pi i / n), m = n/2: half the work.
    public func powerSpectrum(_ frame: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
                              workspace: Workspace) {
        precondition(workspace.count >= powerScratch, "FFT(\(n)).powerSpectrum: workspace made for another plan")
        let w = workspace.buffer
        guard let half = halfPlan.first else {
            let (re, im) = (w, w + n)
            for j in 0..<n { re[j] = frame[j]; im[j] = 0 }
            forward(re, im, scratch: w + 2 * n)
            for k in 0...(n / 2) { out[k] = re[k] * re[k] + im[k] * im[k] }
            return
        }
        let m = n / 2
        let (re, im) = (w, w + m)
        for j in 0..<m { re[j] = frame[2 * j]; im[j] = frame[2 * j + 1] }
        half.forward(re, im, scratch: w + n)
        cosTable.withUnsafeBufferPointer { cosT in
            sinTable.withUnsafeBufferPointer { sinT in
                for k in 0...m {
                    let (a, b) = (k == m ? 0 : k, k == 0 ? 0 : m - k)
                    let (er, ei) = ((re[a] + re[b]) / 2, (im[a] - im[b]) / 2)
                    let (or, oi) = ((im[a] + im[b]) / 2, (re[b] - re[a]) / 2)
                    let (c, s) = (cosT[k], sinT[k])
                    let (xr, xi) = (er + or * c - oi * s, ei + or * s + oi * c)
                    out[k] = xr * xr + xi * xi
                }
            }
        }
    }

    /// One decimation-in-frequency Stockham pass of radix p over `stride`
    /// interleaved sequences of length `len` (x[q + stride (j + r m)], m = len / p):
    ///   y[q + stride (p j + k)] = w_len^(j k) * sum_r x[q + stride (j + r m)] w_p^(r k)
    /// so that the next pass sees `stride * p` sequences of length m.
    private func pass(_ p: Int, _ len: Int, _ stride: Int,
                      _ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
                      _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>) {
        let m = len / p
        let step = n / len  // table index of w_len
        let s = stride
        cosTable.withUnsafeBufferPointer { cosB in
            sinTable.withUnsafeBufferPointer { sinB in
                let (cosT, sinT) = (cosB.baseAddress!, sinB.baseAddress!)
                switch p {
                case 4:
                    for j in 0..<m {
                        let (c1, s1) = (cosT[j * step], sinT[j * step])
                        let (c2, s2) = (cosT[2 * j * step], sinT[2 * j * step])
                        let (c3, s3) = (cosT[3 * j * step], sinT[3 * j * step])
                        let (x0, x1, x2, x3) = (s * j, s * (j + m), s * (j + 2 * m), s * (j + 3 * m))
                        let y0 = s * 4 * j
                        for q in 0..<s {
                            let (ar, ai) = (xr[x0 + q] + xr[x2 + q], xi[x0 + q] + xi[x2 + q])
                            let (br, bi) = (xr[x0 + q] - xr[x2 + q], xi[x0 + q] - xi[x2 + q])
                            let (cr, ci) = (xr[x1 + q] + xr[x3 + q], xi[x1 + q] + xi[x3 + q])
                            let (dr, di) = (xr[x1 + q] - xr[x3 + q], xi[x1 + q] - xi[x3 + q])
                            yr[y0 + q] = ar + cr
                            yi[y0 + q] = ai + ci
                            let (u1r, u1i) = (br + di, bi - dr)  // b - i d
                            yr[y0 + s + q] = u1r * c1 - u1i * s1
                            yi[y0 + s + q] = u1r * s1 + u1i * c1
                            let (u2r, u2i) = (ar - cr, ai - ci)
                            yr[y0 + 2 * s + q] = u2r * c2 - u2i * s2
                            yi[y0 + 2 * s + q] = u2r * s2 + u2i * c2
                            let (u3r, u3i) = (br - di, bi + dr)  // b + i d
                            yr[y0 + 3 * s + q] = u3r * c3 - u3i * s3
                            yi[y0 + 3 * s + q] = u3r * s3 + u3i * c3
                        }
                    }
                case 2:
                    for j in 0..<m {
                        let (c1, s1) = (cosT[j * step], sinT[j * step])
                        let (x0, x1, y0) = (s * j, s * (j + m), s * 2 * j)
                        for q in 0..<s {
                            let (ar, ai) = (xr[x0 + q], xi[x0 + q])
                            let (br, bi) = (xr[x1 + q], xi[x1 + q])
                            yr[y0 + q] = ar + br
                            yi[y0 + q] = ai + bi
                            let (dr, di) = (ar - br, ai - bi)
                            yr[y0 + s + q] = dr * c1 - di * s1
                            yi[y0 + s + q] = dr * s1 + di * c1
                        }
                    }
                default:
                    let pStep = n / p  // table index of w_p
                    for j in 0..<m {
                        for q in 0..<s {
                            for k in 0..<p {
                                var sr = 0.0, si = 0.0
                                for r in 0..<p {
                                    let t = ((r * k) % p) * pStep
                                    let (a, b) = (xr[s * (j + r * m) + q], xi[s * (j + r * m) + q])
                                    sr += a * cosT[t] - b * sinT[t]
                                    si += a * sinT[t] + b * cosT[t]
                                }
                                let t = j * k * step  // < m * p * step = n
                                yr[s * (p * j + k) + q] = sr * cosT[t] - si * sinT[t]
                                yi[s * (p * j + k) + q] = sr * sinT[t] + si * cosT[t]
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Bluestein's algorithm: `X[k] = b[k] * sum_j (x[j] b[j]) conj(b[k - j])` with the
/// chirp `b[j] = exp(-i pi j^2 / n)`, the sum evaluated as a cyclic convolution
/// of length M (a power of two >= 2n - 1) with the radix-4/2 FFT.
private struct Bluestein: Sendable {
    let n: Int
    let m: Int
    let chirpRe: [Double], chirpIm: [Double]
    /// FFT of the cyclic sequence conj(b[|j|]).
    let kernelRe: [Double], kernelIm: [Double]
    let inner: [FFT]

    init(_ n: Int) {
        self.n = n
        var m = 1
        while m < 2 * n - 1 { m *= 2 }
        self.m = m
        // j^2 mod 2n keeps the angle small and exact for large j.
        let angles = (0..<n).map { Double((($0 * $0) % (2 * n))) * Double.pi / Double(n) }
        chirpRe = angles.map { cos($0) }
        chirpIm = angles.map { -sin($0) }
        var kr = [Double](repeating: 0, count: m), ki = [Double](repeating: 0, count: m)
        for j in 0..<n {
            kr[j] = chirpRe[j]; ki[j] = -chirpIm[j]
            if j > 0 { kr[m - j] = chirpRe[j]; ki[m - j] = -chirpIm[j] }
        }
        let fft = FFT(m)
        fft.forward(re: &kr, im: &ki)
        kernelRe = kr
        kernelIm = ki
        inner = [fft]
    }

    /// In place on n values; `scratch` holds 2M Doubles plus the inner plan's scratch.
    func transform(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                   scratch: UnsafeMutablePointer<Double>) {
        let (ar, ai) = (scratch, scratch + m)
        ar.update(repeating: 0, count: 2 * m)
        for j in 0..<n {
            ar[j] = re[j] * chirpRe[j] - im[j] * chirpIm[j]
            ai[j] = re[j] * chirpIm[j] + im[j] * chirpRe[j]
        }
        inner[0].forward(ar, ai, scratch: scratch + 2 * m)
        for j in 0..<m {
            let (r, i) = (ar[j] * kernelRe[j] - ai[j] * kernelIm[j], ar[j] * kernelIm[j] + ai[j] * kernelRe[j])
            ar[j] = r; ai[j] = -i  // conjugate: inverse FFT via the forward one
        }
        inner[0].forward(ar, ai, scratch: scratch + 2 * m)
        let scale = 1 / Double(m)
        for k in 0..<n {
            let cr = ar[k] * scale, ci = -ai[k] * scale
            re[k] = cr * chirpRe[k] - ci * chirpIm[k]
            im[k] = cr * chirpIm[k] + ci * chirpRe[k]
        }
    }
}
