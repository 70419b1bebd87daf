import Foundation

/// The mean and covariance of a set of feature vectors (rows), in Double: the Gaussian summary
/// that the Fréchet distance compares (pytorch-fid's `calculate_activation_statistics`).
///
/// Layout: features [N, D] row-major; `mean` [D]; `covariance` [D, D] row-major, symmetric.
/// mean = (1/N) Σ_r x_r and covariance = (1/(N - 1)) Σ_r (x_r - mean)(x_r - mean)ᵀ, the unbiased
/// estimate, as numpy.cov(x, rowvar=False). Both accumulate in Double, the covariance from
/// centered rows (a second pass), so a large common offset does not cancel the spread.
public struct FeatureStatistics: Sendable {
    public let dimension: Int
    public let count: Int
    /// [D]
    public let mean: [Double]
    /// [D, D] row-major, unbiased (N - 1).
    public let covariance: [Double]

    /// The statistics of `features`: N rows of D floats, row-major (features.count == N * D, N >= 2).
    public init(features: [Float], dimension: Int) {
        precondition(dimension >= 1, "FeatureStatistics: dimension must be at least 1, got \(dimension)")
        precondition(features.count % dimension == 0,
                     "FeatureStatistics: \(features.count) values are not whole rows of dimension \(dimension)")
        let n = features.count / dimension
        precondition(n >= 2, "FeatureStatistics: the covariance needs at least 2 rows, got \(n)")
        let d = dimension
        var mean = [Double](repeating: 0, count: d)
        var covariance = [Double](repeating: 0, count: d * d)
        features.withUnsafeBufferPointer { x in
            mean.withUnsafeMutableBufferPointer { mu in
                for r in 0..<n {
                    let row = x.baseAddress! + r * d
                    for j in 0..<d { mu[j] += Double(row[j]) }
                }
                for j in 0..<d { mu[j] /= Double(n) }
                covariance.withUnsafeMutableBufferPointer { c in
                    Self.accumulateUpperTriangle(x.baseAddress!, rows: n, mean: mu.baseAddress!, into: c.baseAddress!, d)
                }
            }
        }
        let scale = 1 / Double(n - 1)
        for i in 0..<d {
            for j in i..<d {
                let value = covariance[i * d + j] * scale
                covariance[i * d + j] = value
                covariance[j * d + i] = value
            }
        }
        self.dimension = d
        self.count = n
        self.mean = mean
        self.covariance = covariance
    }

    /// Statistics computed elsewhere, such as a reference set's stored mean and covariance.
    public init(mean: [Double], covariance: [Double], count: Int) {
        let d = mean.count
        precondition(d >= 1, "FeatureStatistics: the mean is empty")
        precondition(covariance.count == d * d,
                     "FeatureStatistics: covariance has \(covariance.count) entries, expected \(d) x \(d) = \(d * d)")
        precondition(count >= 2, "FeatureStatistics: the covariance needs at least 2 rows, got \(count)")
        self.dimension = d
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// c[i, j] += Σ_r (x[r, i] - mu[i]) (x[r, j] - mu[j]) for j >= i, over blocks of centered rows
    /// so that each row of c stays in cache while a block passes over it.
    private static func accumulateUpperTriangle(_ x: UnsafePointer<Float>, rows n: Int, mean mu: UnsafePointer<Double>,
                                                into c: UnsafeMutablePointer<Double>, _ d: Int) {
        let blockRows = 32
        let block = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * d)  // [b, D]
        defer { block.deallocate() }
        var start = 0
        while start < n {
            let b = min(blockRows, n - start)
            for r in 0..<b {
                let row = x + (start + r) * d
                for j in 0..<d { block[r * d + j] = Double(row[j]) - mu[j] }
            }
            for i in 0..<d {
                let ci = c + i * d
                for r in 0..<b {
                    let centered = block + r * d
                    let factor = centered[i]
                    for j in i..<d { ci[j] += factor * centered[j] }
                }
            }
            start += b
        }
    }
}

/// The Fréchet distance between the Gaussians N(mu_a, S_a) and N(mu_b, S_b) fitted to two
/// feature sets: FID (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
/// Local Nash Equilibrium", 2017) when the features are Inception pool3 activations.
///
/// d = ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2)), as pytorch-fid 0.3.0's
/// `calculate_frechet_distance`. The trace of the square root is computed without a
/// non-symmetric matrix square root: with S_a = V diag(w) Vᵀ and s = sqrt(max(w, 0)), the
/// eigenvalues of S_a S_b are those of the symmetric PSD M = diag(s) Vᵀ S_b V diag(s)
/// (= Vᵀ S_a^(1/2) S_b S_a^(1/2) V), so tr((S_a S_b)^(1/2)) = Σ_i sqrt(max(λ_i(M), 0)); the clamps
/// drop round-off negatives. pytorch-fid instead takes scipy.linalg.sqrtm(S_a S_b) and, if that
/// is not finite, retries with 1e-6 added to both diagonals; no offset is ever added here.
///
/// Accuracy: relative to round-off for well-conditioned covariances. Where S_a S_b is singular
/// (N <= D, or collinear features) each zero eigenvalue becomes a round-off value whose square
/// root can add up to sqrt(eps * ||M||) to the trace, as with sqrtm. The result is symmetric in
/// its arguments up to round-off and can be a tiny negative number for identical statistics.
/// O(D^3): two symmetric eigen-decompositions (one without vectors) and two D x D products.
///
/// - Returns: the distance, or NaN if either statistics holds a non-finite value.
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) -> Double {
    precondition(a.dimension == b.dimension,
                 "frechetDistance: feature dimensions differ, \(a.dimension) vs \(b.dimension)")
    let d = a.dimension
    var meanTerm = 0.0, traceA = 0.0, traceB = 0.0
    for j in 0..<d {
        let delta = a.mean[j] - b.mean[j]
        meanTerm += delta * delta
        traceA += a.covariance[j * d + j]
        traceB += b.covariance[j * d + j]
    }
    let finite = { (s: FeatureStatistics) in s.mean.allSatisfy(\.isFinite) && s.covariance.allSatisfy(\.isFinite) }
    guard finite(a), finite(b) else { return .nan }
    return meanTerm + traceA + traceB - 2 * traceOfSquareRootProduct(a.covariance, b.covariance, dimension: d)
}

/// tr((S_a S_b)^(1/2)) for symmetric PSD S_a, S_b ([D, D] row-major), by the eigenvalues of
/// M = diag(s) Vᵀ S_b V diag(s) as documented on `frechetDistance`.
func traceOfSquareRootProduct(_ sa: [Double], _ sb: [Double], dimension n: Int) -> Double {
    let eigen = SymmetricEigen(symmetric: sa, dimension: n)
    let s = eigen.eigenvalues.map { max($0, 0).squareRoot() }
    var p = [Double](repeating: 0, count: n * n)  // Vᵀ S_b   [D, D]
    var t = [Double](repeating: 0, count: n * n)  // Vᵀ S_b V [D, D]
    eigen.eigenvectors.withUnsafeBufferPointer { v in
        sb.withUnsafeBufferPointer { sb in
            p.withUnsafeMutableBufferPointer { p in
                t.withUnsafeMutableBufferPointer { t in
                    let v = v.baseAddress!, sb = sb.baseAddress!, p = p.baseAddress!, t = t.baseAddress!
                    // Rows j with s[j] == 0 are scaled away in M, so they are not computed.
                    for j in 0..<n where s[j] > 0 {
                        let pj = p + j * n, tj = t + j * n
                        for k in 0..<n {
                            let f = v[k * n + j], row = sb + k * n
                            for x in 0..<n { pj[x] += f * row[x] }
                        }
                        for k in 0..<n {
                            let f = pj[k], row = v + k * n
                            for x in 0..<n { tj[x] += f * row[x] }
                        }
                    }
                }
            }
        }
    }
    var m = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
        for l in j..<n {
            let value = s[j] * s[l] * 0.5 * (t[j * n + l] + t[l * n + j])
            m[j * n + l] = value
            m[l * n + j] = value
        }
    }
    return SymmetricEigen.eigenvalues(ofSymmetric: m, dimension: n).reduce(0) { $0 + max($1, 0).squareRoot() }
}
