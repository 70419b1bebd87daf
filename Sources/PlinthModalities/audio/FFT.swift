import Foundation

/// A complex discrete Fourier transform of fixed length n, in Double precision.
///
/// `X[k] = sum_{j<n} x[j] * exp(-2 pi i j k / n)` (forward, unnormalized, numpy's
/// and torch's sign convention). Lengths whose prime factors are all at most 7
/// (400 = 2^4 5^2, 512 = 2^9, ...) use a recursive mixed-radix Cooley-Tukey
/// decomposition in O(n sum(p)); other lengths use Bluestein's chirp-z algorithm
/// on a power-of-two FFT of length >= 2n - 1.
///
/// A plan is immutable and `Sendable`; `forward` allocates its own scratch, so one
/// plan can serve several threads.
public struct FFT: Sendable {
    public let n: Int
    private let factors: [Int]
    /// exp(-2 pi i j / n) for j < n.
    private let cosTable: [Double]
    private let sinTable: [Double]
    private let bluestein: Bluestein?
    /// The n/2-point plan for real input (even n, no Bluestein); empty otherwise.
    private let halfPlan: [FFT]

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
        } else {
            factors = []
            bluestein = Bluestein(n)
        }
        halfPlan = bluestein == nil && n % 2 == 0 && n >= 4 ? [FFT(n / 2)] : []
    }

    /// In-place forward transform of `re + i im`, each of length n.
    public func forward(re: inout [Double], im: inout [Double]) {
        precondition(re.count == n && im.count == n, "FFT(\(n)): got \(re.count) real and \(im.count) imaginary values")
        if let bluestein { bluestein.transform(re: &re, im: &im); return }
        if n == 1 { return }
        var outRe = [Double](repeating: 0, count: n), outIm = [Double](repeating: 0, count: n)
        var tRe = [Double](repeating: 0, count: 8), tIm = [Double](repeating: 0, count: 8)
        re.withUnsafeBufferPointer { ir in im.withUnsafeBufferPointer { ii in
            outRe.withUnsafeMutableBufferPointer { orr in outIm.withUnsafeMutableBufferPointer { oi in
                tRe.withUnsafeMutableBufferPointer { tr in tIm.withUnsafeMutableBufferPointer { ti in
                    recurse(ir.baseAddress!, ii.baseAddress!, 0, 1, n, orr.baseAddress!, oi.baseAddress!, 0, 0,
                            tr.baseAddress!, ti.baseAddress!)
                } }
            } }
        } }
        re = outRe
        im = outIm
    }

    /// Power spectrum `|X[k]|^2` for k in 0...n/2 of a real frame of n values.
    ///
    /// For even n the frame is packed as z[j] = x[2j] + i x[2j+1] and transformed
    /// at half length; then X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[m-k]) / 2,
    /// O = (Z[k] - conj Z[m-k]) / 2i, W = exp(-2 pi i / n), m = n/2: half the work.
    public func powerSpectrum(_ frame: [Double]) -> [Double] {
        guard let half = halfPlan.first else {
            var re = frame, im = [Double](repeating: 0, count: n)
            forward(re: &re, im: &im)
            return (0...(n / 2)).map { re[$0] * re[$0] + im[$0] * im[$0] }
        }
        precondition(frame.count == n, "FFT(\(n)).powerSpectrum: got \(frame.count) values")
        let m = n / 2
        var re = (0..<m).map { frame[2 * $0] }, im = (0..<m).map { frame[2 * $0 + 1] }
        half.forward(re: &re, im: &im)
        return (0...m).map { k in
            let (a, b) = (k % m, (m - k) % m)
            let (er, ei) = ((re[a] + re[b]) / 2, (im[a] - im[b]) / 2)
            let (or, oi) = ((im[a] + im[b]) / 2, (re[b] - re[a]) / 2)
            let (c, s) = (cosTable[k], sinTable[k])
            let (xr, xi) = (er + or * c - oi * s, ei + or * s + oi * c)
            return xr * xr + xi * xi
        }
    }

    /// Decimation in time: the m = len/p sub-transforms of the p interleaved
    /// subsequences land in consecutive blocks of `out`, then one pass of radix-p
    /// butterflies with twiddles exp(-2 pi i q k / len) combines them in place.
    private func recurse(_ inRe: UnsafePointer<Double>, _ inIm: UnsafePointer<Double>, _ inOff: Int, _ stride: Int,
                         _ len: Int, _ outRe: UnsafeMutablePointer<Double>, _ outIm: UnsafeMutablePointer<Double>,
                         _ outOff: Int, _ level: Int,
                         _ tRe: UnsafeMutablePointer<Double>, _ tIm: UnsafeMutablePointer<Double>) {
        if len == 1 { outRe[outOff] = inRe[inOff]; outIm[outOff] = inIm[inOff]; return }
        let p = factors[level], m = len / p
        for q in 0..<p {
            recurse(inRe, inIm, inOff + q * stride, stride * p, m, outRe, outIm, outOff + q * m, level + 1, tRe, tIm)
        }
        let step = n / len  // table index of exp(-2 pi i / len)
        let pStep = n / p   // table index of exp(-2 pi i / p)
        for k in 0..<m {
            for q in 0..<p {
                let a = outRe[outOff + q * m + k], b = outIm[outOff + q * m + k]
                let t = q * k * step  // < p * m * (n / len) = n: no wrap-around
                let c = cosTable[t], s = sinTable[t]
                tRe[q] = a * c - b * s
                tIm[q] = a * s + b * c
            }
            switch p {
            case 2:
                outRe[outOff + k] = tRe[0] + tRe[1]; outIm[outOff + k] = tIm[0] + tIm[1]
                outRe[outOff + k + m] = tRe[0] - tRe[1]; outIm[outOff + k + m] = tIm[0] - tIm[1]
            case 4:
                let (ar, ai) = (tRe[0] + tRe[2], tIm[0] + tIm[2]), (br, bi) = (tRe[0] - tRe[2], tIm[0] - tIm[2])
                let (cr, ci) = (tRe[1] + tRe[3], tIm[1] + tIm[3]), (dr, di) = (tRe[1] - tRe[3], tIm[1] - tIm[3])
                outRe[outOff + k] = ar + cr; outIm[outOff + k] = ai + ci
                outRe[outOff + k + m] = br + di; outIm[outOff + k + m] = bi - dr       // b - i d
                outRe[outOff + k + 2 * m] = ar - cr; outIm[outOff + k + 2 * m] = ai - ci
                outRe[outOff + k + 3 * m] = br - di; outIm[outOff + k + 3 * m] = bi + dr  // b + i d
            default:
                for r in 0..<p {
                    var sr = 0.0, si = 0.0
                    for q in 0..<p {
                        let t = ((q * r) % p) * pStep
                        let c = cosTable[t], s = sinTable[t]
                        sr += tRe[q] * c - tIm[q] * s
                        si += tRe[q] * s + tIm[q] * c
                    }
                    outRe[outOff + k + r * m] = sr
                    outIm[outOff + k + r * m] = si
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

    func transform(re: inout [Double], im: inout [Double]) {
        var ar = [Double](repeating: 0, count: m), ai = [Double](repeating: 0, count: m)
        for j in 0..<n {
            ar[j] = re[j] * chirpRe[j] - im[j] * chirpIm[j]
            ai[j] = re[j] * chirpIm[j] + im[j] * chirpRe[j]
        }
        inner[0].forward(re: &ar, im: &ai)
        for j in 0..<m {
            let (r, i) = (ar[j] * kernelRe[j] - ai[j] * kernelIm[j], ar[j] * kernelIm[j] + ai[j] * kernelRe[j])
            ar[j] = r; ai[j] = -i  // conjugate: inverse FFT via the forward one
        }
        inner[0].forward(re: &ar, im: &ai)
        let scale = 1 / Double(m)
        for k in 0..<n {
            let cr = ar[k] * scale, ci = -ai[k] * scale
            re[k] = cr * chirpRe[k] - ci * chirpIm[k]
            im[k] = cr * chirpIm[k] + ci * chirpRe[k]
        }
    }
}
