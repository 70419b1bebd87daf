import Foundation

/// The eigen-decomposition of a real symmetric matrix: A = V diag(w) Vᵀ with V orthogonal.
///
/// Layout: the input is [n, n] row-major, and only its upper triangle (row <= column) is read.
/// `eigenvalues` w is [n], ascending; `eigenvectors` V is [n, n] row-major, column j being the
/// unit eigenvector of w[j] (numpy.linalg.eigh's convention), or empty when not requested.
///
/// Algorithm, in Double: Householder reduction to tridiagonal form, then the QL algorithm with
/// implicit Wilkinson shifts (EISPACK's tred2 and tql2; Bowdler, Martin, Reinsch and Wilkinson,
/// Numer. Math. 11, 1968), the working matrix held column-major so every inner loop is
/// contiguous. O(n^3): about 9n^3 flops with eigenvectors, 4n^3/3 without. Eigenvalues are
/// accurate to a small multiple of eps * max|w| in absolute terms, so eigenvalues of a PSD matrix
/// that should be 0 can come out slightly negative. Eigenvectors of nearly equal eigenvalues
/// are determined only as an orthonormal basis of their joint eigenspace.
public struct SymmetricEigen: Sendable {
    public let dimension: Int
    /// [n], ascending.
    public let eigenvalues: [Double]
    /// [n, n] row-major; column j is the eigenvector of `eigenvalues[j]`. Empty if not computed.
    public let eigenvectors: [Double]

    /// Decomposes `matrix` ([n, n] row-major, symmetric, finite entries; n >= 1).
    public init(symmetric matrix: [Double], dimension n: Int, computeEigenvectors: Bool = true) {
        precondition(n >= 1, "SymmetricEigen: dimension must be at least 1, got \(n)")
        precondition(matrix.count == n * n,
                     "SymmetricEigen: matrix has \(matrix.count) entries, expected \(n) x \(n) = \(n * n)")
        if let bad = matrix.firstIndex(where: { !$0.isFinite }) {
            preconditionFailure("SymmetricEigen: entry [\(bad / n), \(bad % n)] is \(matrix[bad]), expected a finite value")
        }
        dimension = n
        // Column-major work[j * n + k] = V[k][j]: read as column-major, the row-major input is its
        // transpose, so the lower triangle that tred2 uses is the input's upper triangle.
        var work = matrix
        var d = [Double](repeating: 0, count: n)
        var e = [Double](repeating: 0, count: n)
        work.withUnsafeMutableBufferPointer { v in
            d.withUnsafeMutableBufferPointer { d in
                e.withUnsafeMutableBufferPointer { e in
                    let v = v.baseAddress!, d = d.baseAddress!, e = e.baseAddress!
                    Self.tridiagonalize(v, n, d, e, accumulate: computeEigenvectors)
                    Self.diagonalize(v, n, d, e, accumulate: computeEigenvectors)
                }
            }
        }
        let order = (0..<n).sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }
        eigenvalues = order.map { d[$0] }
        guard computeEigenvectors else {
            eigenvectors = []
            return
        }
        var vectors = [Double](repeating: 0, count: n * n)
        for (column, source) in order.enumerated() {
            for k in 0..<n { vectors[k * n + column] = work[source * n + k] }
        }
        eigenvectors = vectors
    }

    /// The eigenvalues of a symmetric matrix, ascending (no eigenvectors: about 4 times faster).
    public static func eigenvalues(ofSymmetric matrix: [Double], dimension n: Int) -> [Double] {
        SymmetricEigen(symmetric: matrix, dimension: n, computeEigenvectors: false).eigenvalues
    }

    /// tred2: V ← Q with QᵀAQ tridiagonal, diagonal in d, subdiagonal in e[1..<n] (e[0] = 0).
    /// Without `accumulate`, only d and e are produced. `v(k, j)` is v[j * n + k].
    private static func tridiagonalize(_ v: UnsafeMutablePointer<Double>, _ n: Int,
                                       _ d: UnsafeMutablePointer<Double>, _ e: UnsafeMutablePointer<Double>,
                                       accumulate: Bool) {
        @inline(__always) func column(_ j: Int) -> UnsafeMutablePointer<Double> { v + j * n }
        for j in 0..<n { d[j] = column(j)[n - 1] }
        var i = n - 1
        while i > 0 {
            var scale = 0.0, h = 0.0
            for k in 0..<i { scale += abs(d[k]) }
            if scale == 0 {
                e[i] = d[i - 1]
                for j in 0..<i {
                    d[j] = column(j)[i - 1]
                    column(j)[i] = 0
                    column(i)[j] = 0
                }
            } else {
                // Householder vector, scaled to avoid under- and overflow.
                for k in 0..<i {
                    d[k] /= scale
                    h += d[k] * d[k]
                }
                var f = d[i - 1]
                var g = f > 0 ? -h.squareRoot() : h.squareRoot()
                e[i] = scale * g
                h -= f * g
                d[i - 1] = f - g
                for j in 0..<i { e[j] = 0 }
                // Similarity transformation of the leading i x i block.
                for j in 0..<i {
                    f = d[j]
                    column(i)[j] = f
                    let cj = column(j)
                    g = e[j] + cj[j] * f
                    for k in (j + 1)..<i {
                        g += cj[k] * d[k]
                        e[k] += cj[k] * f
                    }
                    e[j] = g
                }
                f = 0
                for j in 0..<i {
                    e[j] /= h
                    f += e[j] * d[j]
                }
                let hh = f / (h + h)
                for j in 0..<i { e[j] -= hh * d[j] }
                for j in 0..<i {
                    f = d[j]
                    g = e[j]
                    let cj = column(j)
                    for k in j..<i { cj[k] -= f * e[k] + g * d[k] }
                    d[j] = cj[i - 1]
                    cj[i] = 0
                }
            }
            d[i] = h
            i -= 1
        }
        guard accumulate else {
            for j in 0..<n { d[j] = column(j)[j] }
            e[0] = 0
            return
        }
        // Accumulate the Householder transformations into V.
        for i in 0..<(n - 1) {
            column(i)[n - 1] = column(i)[i]
            column(i)[i] = 1
            let h = d[i + 1]
            let next = column(i + 1)
            if h != 0 {
                for k in 0...i { d[k] = next[k] / h }
                for j in 0...i {
                    let cj = column(j)
                    var g = 0.0
                    for k in 0...i { g += next[k] * cj[k] }
                    for k in 0...i { cj[k] -= g * d[k] }
                }
            }
            for k in 0...i { next[k] = 0 }
        }
        for j in 0..<n {
            d[j] = column(j)[n - 1]
            column(j)[n - 1] = 0
        }
        column(n - 1)[n - 1] = 1
        e[0] = 0
    }

    /// tql2: diagonalizes the tridiagonal (d, e) in place, eigenvalues left in d (unsorted),
    /// rotations applied to V's columns when `accumulate`.
    private static func diagonalize(_ v: UnsafeMutablePointer<Double>, _ n: Int,
                                    _ d: UnsafeMutablePointer<Double>, _ e: UnsafeMutablePointer<Double>,
                                    accumulate: Bool) {
        for i in 1..<max(n, 1) { e[i - 1] = e[i] }
        e[n - 1] = 0
        let eps = Double.ulpOfOne
        var shift = 0.0, norm = 0.0
        for l in 0..<n {
            norm = max(norm, abs(d[l]) + abs(e[l]))
            // Smallest m >= l with a negligible e[m] splits off the block l...m; e[n - 1] is 0.
            var m = l
            while m < n - 1, abs(e[m]) > eps * norm { m += 1 }
            var iterations = 0
            while m > l {
                iterations += 1
                // Some 2-3 sweeps per eigenvalue are typical; this cap only guards against a bug.
                precondition(iterations <= 100, "SymmetricEigen: QL iteration did not converge (n = \(n))")
                // Implicit shift from the leading 2 x 2 block.
                var g = d[l]
                var p = (d[l + 1] - g) / (2 * e[l])
                var r = hypot(p, 1)
                if p < 0 { r = -r }
                d[l] = e[l] / (p + r)
                d[l + 1] = e[l] * (p + r)
                let dl1 = d[l + 1]
                var h = g - d[l]
                for i in (l + 2)..<max(n, l + 2) { d[i] -= h }
                shift += h
                // QL sweep from m - 1 down to l.
                p = d[m]
                var c = 1.0, c2 = 1.0, c3 = 1.0
                let el1 = e[l + 1]
                var s = 0.0, s2 = 0.0
                var i = m - 1
                while i >= l {
                    c3 = c2
                    c2 = c
                    s2 = s
                    g = c * e[i]
                    h = c * p
                    r = hypot(p, e[i])
                    e[i + 1] = s * r
                    s = e[i] / r
                    c = p / r
                    p = c * d[i] - s * g
                    d[i + 1] = h + s * (c * g + s * d[i])
                    if accumulate {
                        let a = v + i * n, b = v + (i + 1) * n
                        for k in 0..<n {
                            let t = b[k]
                            b[k] = s * a[k] + c * t
                            a[k] = c * a[k] - s * t
                        }
                    }
                    i -= 1
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1
                e[l] = s * p
                d[l] = c * p
                if abs(e[l]) <= eps * norm { break }
            }
            d[l] += shift
            e[l] = 0
        }
    }
}
