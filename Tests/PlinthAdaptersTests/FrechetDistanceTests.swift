import Foundation
import PlinthAdapters
import PlinthNN
import PlinthTestSupport
import XCTest

/// FeatureStatistics and frechetDistance against pytorch-fid 0.3.0's calculate_frechet_distance
/// (Tests/Fixtures/generation/frechet.json, made by scripts/fixtures/gen_frechet.py), closed forms
/// and invariants of the distance, and SymmetricEigen.
final class FrechetDistanceTests: XCTestCase {
    struct Fixture: Decodable {
        struct Side: Decodable {
            let count: Int
            let features: [Float]
            let mean: [Double]
            let covarianceTrace: Double
            /// [i, j, covariance[i, j]]
            let covarianceEntries: [[Double]]
        }
        struct Case: Decodable {
            let name: String
            let dimension: Int
            let a: Side
            let b: Side
            /// pytorch-fid's value (scipy.linalg.sqrtm).
            let distance: Double
            /// The trace term from the singular values of A Bᵀ: exact up to eps * scale.
            let distanceNuclear: Double
        }
        let cases: [Case]
    }

    let fixture: Fixture = {
        let url = Fixtures.directory.appendingPathComponent("generation/frechet.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func statistics(_ side: Fixture.Side, _ dimension: Int) -> FeatureStatistics {
        FeatureStatistics(features: side.features, dimension: dimension)
    }

    func testFixtureCoversTheCases() {
        XCTAssertEqual(fixture.cases.map(\.name), ["small", "medium", "identical", "rank_deficient", "offset"])
        for c in fixture.cases {
            XCTAssertEqual(c.a.features.count, c.a.count * c.dimension, c.name)
            XCTAssertEqual(c.b.features.count, c.b.count * c.dimension, c.name)
        }
    }

    func testStatisticsMatchNumpy() {
        for c in fixture.cases {
            for (label, side) in [("a", c.a), ("b", c.b)] {
                let s = statistics(side, c.dimension)
                XCTAssertEqual(s.count, side.count)
                XCTAssertEqual(s.dimension, c.dimension)
                for (j, (mine, numpy)) in zip(s.mean, side.mean).enumerated() {
                    XCTAssertEqual(mine, numpy, accuracy: 1e-12 * max(1, abs(numpy)), "\(c.name).\(label) mean[\(j)]")
                }
                let d = c.dimension
                let trace = (0..<d).reduce(0.0) { $0 + s.covariance[$1 * d + $1] }
                let scale = side.covarianceTrace / Double(d)  // the typical variance
                XCTAssertEqual(trace, side.covarianceTrace, accuracy: 1e-12 * side.covarianceTrace, "\(c.name).\(label) trace")
                for entry in side.covarianceEntries {
                    let (i, j) = (Int(entry[0]), Int(entry[1]))
                    XCTAssertEqual(s.covariance[i * d + j], entry[2], accuracy: 1e-11 * scale, "\(c.name).\(label) cov[\(i), \(j)]")
                    XCTAssertEqual(s.covariance[j * d + i], s.covariance[i * d + j], "\(c.name).\(label) symmetric")
                }
            }
        }
    }

    /// Where S_a S_b has full rank, this implementation, pytorch-fid (sqrtm) and the singular-value
    /// route agree to about 1e-14 of tr(S_a) + tr(S_b); 1e-9 of the distance leaves a wide margin
    /// (the offset case's distance is 0.13 of that scale). identical is 0 up to round-off, so it is
    /// measured against the scale. rank_deficient: S_a S_b (16 x 16) has rank <= 9, and each of its
    /// 7 zero eigenvalues comes out of any eigenvalue or sqrtm route as a round-off value r with
    /// |r| ~ eps * ||S_a S_b||, whose square root adds up to sqrt(eps * ||S_a S_b||) ~ 1e-8 to the
    /// trace: sqrtm's result is 2.3e-7 (8.6e-9 relative) from the exact distance. 1e-6 relative
    /// bounds that error for this implementation as well.
    func testDistanceMatchesPytorchFIDAndTheExactValue() {
        for c in fixture.cases {
            let a = statistics(c.a, c.dimension), b = statistics(c.b, c.dimension)
            let distance = frechetDistance(a, b)
            let scale = c.a.covarianceTrace + c.b.covarianceTrace
            let tolerance: Double
            switch c.name {
            case "identical": tolerance = 1e-12 * scale
            case "rank_deficient": tolerance = 1e-6 * abs(c.distanceNuclear)
            default: tolerance = 1e-9 * abs(c.distanceNuclear)
            }
            XCTAssertEqual(distance, c.distance, accuracy: tolerance, "\(c.name) vs pytorch-fid")
            XCTAssertEqual(distance, c.distanceNuclear, accuracy: tolerance, "\(c.name) vs singular values")
        }
    }

    func testIdenticalSetsAreAtDistanceZero() {
        var rng = RandomGenerator(seed: 1)
        let s = FeatureStatistics(features: gaussian(64 * 20, &rng), dimension: 20)
        let scale = 2 * (0..<20).reduce(0.0) { $0 + s.covariance[$1 * 20 + $1] }
        XCTAssertEqual(frechetDistance(s, s), 0, accuracy: 1e-13 * scale)
    }

    func testDistanceIsSymmetric() {
        var rng = RandomGenerator(seed: 2)
        for (na, nb, d) in [(80, 50, 24), (9, 14, 16)] {  // the second pair is rank-deficient
            let a = FeatureStatistics(features: gaussian(na * d, &rng), dimension: d)
            let b = FeatureStatistics(features: gaussian(nb * d, &rng).map { 1.5 * $0 + 0.2 }, dimension: d)
            let ab = frechetDistance(a, b), ba = frechetDistance(b, a)
            XCTAssertGreaterThan(ab, 1)
            XCTAssertEqual(ab, ba, accuracy: (na < d ? 1e-7 : 1e-12) * ab, "N_a \(na), N_b \(nb), D \(d)")
        }
    }

    /// Dyadic features and shifts keep every sum exact, so both sets have bit-identical
    /// covariances and only ||mu_a - mu_b||^2 remains.
    func testEqualCovariancesLeaveOnlyTheMeanTerm() {
        var rng = RandomGenerator(seed: 3)
        let (n, d) = (32, 10)
        let a = (0..<(n * d)).map { _ in Float(Int.random(in: -16...16, using: &rng)) / 8 }
        let shift = (0..<d).map { _ in Float(Int.random(in: -3...3, using: &rng)) }
        let b = a.enumerated().map { $1 + shift[$0 % d] }
        let sa = FeatureStatistics(features: a, dimension: d), sb = FeatureStatistics(features: b, dimension: d)
        XCTAssertEqual(sa.covariance, sb.covariance)
        let meanTerm = shift.reduce(0.0) { $0 + Double($1) * Double($1) }
        let scale = 2 * (0..<d).reduce(0.0) { $0 + sa.covariance[$1 * d + $1] }
        XCTAssertEqual(frechetDistance(sa, sb), meanTerm, accuracy: 1e-13 * (meanTerm + scale))
    }

    /// Covariances with common eigenvectors Q: S_a = Q diag(p) Qᵀ, S_b = Q diag(q) Qᵀ give
    /// d = ||mu_a - mu_b||^2 + Σ_i (sqrt(p_i) - sqrt(q_i))^2; zero variances included.
    func testCommutingCovariancesHaveTheClosedForm() {
        var rng = RandomGenerator(seed: 4)
        let d = 12
        let q = orthogonal(d, &rng)
        let p = (0..<d).map { i in i < 2 ? 0 : Double.random(in: 0.1...4, using: &rng) }
        let r = (0..<d).map { _ in Double.random(in: 0.1...4, using: &rng) }
        let muA = (0..<d).map { _ in Double.random(in: -1...1, using: &rng) }
        let muB = (0..<d).map { _ in Double.random(in: -1...1, using: &rng) }
        let a = FeatureStatistics(mean: muA, covariance: conjugate(q, p), count: 100)
        let b = FeatureStatistics(mean: muB, covariance: conjugate(q, r), count: 100)
        var expected = 0.0
        for i in 0..<d {
            let (dMean, dDeviation) = (muA[i] - muB[i], p[i].squareRoot() - r[i].squareRoot())
            expected += dMean * dMean + dDeviation * dDeviation
        }
        // S_a has two zero eigenvalues: round-off enters the trace through square roots (see the fixture test).
        XCTAssertEqual(frechetDistance(a, b), expected, accuracy: 1e-7 * expected)
        XCTAssertEqual(frechetDistance(b, a), expected, accuracy: 1e-7 * expected)
    }

    /// D = 1: d = (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2 with the unbiased standard deviations.
    func testOneDimension() {
        let a: [Float] = [1, 2, 4, 7], b: [Float] = [-1, 0.5, 3]
        let d = frechetDistance(FeatureStatistics(features: a, dimension: 1), FeatureStatistics(features: b, dimension: 1))
        let (muA, muB) = (3.5, 2.5 / 3)
        let varA = [1.0, 2, 4, 7].reduce(0) { $0 + ($1 - muA) * ($1 - muA) } / 3
        let varB = [-1.0, 0.5, 3].reduce(0) { $0 + ($1 - muB) * ($1 - muB) } / 2
        XCTAssertEqual(d, (muA - muB) * (muA - muB) + (varA.squareRoot() - varB.squareRoot()) * (varA.squareRoot() - varB.squareRoot()),
                       accuracy: 1e-13)
    }

    func testNonFiniteFeaturesGiveNaN() {
        var features: [Float] = [1, 2, 3, 4, 5, 6]
        let finite = FeatureStatistics(features: features, dimension: 2)
        features[3] = .nan
        XCTAssertTrue(frechetDistance(FeatureStatistics(features: features, dimension: 2), finite).isNaN)
    }

    // MARK: SymmetricEigen

    func testEigenReconstructsRandomSymmetricMatrices() {
        var rng = RandomGenerator(seed: 5)
        for n in [1, 2, 3, 7, 32, 100] {
            let m = randomSymmetric(n, &rng)
            let eigen = SymmetricEigen(symmetric: m, dimension: n)
            assertDecomposes(m, eigen, "random n = \(n)")
            XCTAssertEqual(SymmetricEigen.eigenvalues(ofSymmetric: m, dimension: n), eigen.eigenvalues, "values only, n = \(n)")
        }
    }

    func testEigenOfStructuredMatrices() {
        let n = 9
        var identity = [Double](repeating: 0, count: n * n)
        for i in 0..<n { identity[i * n + i] = 1 }
        var repeated = [Double](repeating: 0, count: n * n)
        for i in 0..<n { repeated[i * n + i] = Double([3, -1, 3, 0, 3, -1, 0, 2, 3][i]) }
        let u = (0..<n).map { Double($0) - 3.5 }
        let rankOne = (0..<(n * n)).map { u[$0 / n] * u[$0 % n] }
        let zero = [Double](repeating: 0, count: n * n)
        for (name, m) in [("identity", identity), ("repeated", repeated), ("rank one", rankOne), ("zero", zero)] {
            assertDecomposes(m, SymmetricEigen(symmetric: m, dimension: n), name)
        }
        let w = SymmetricEigen(symmetric: rankOne, dimension: n).eigenvalues
        XCTAssertEqual(w[n - 1], u.reduce(0) { $0 + $1 * $1 }, accuracy: 1e-12 * w[n - 1])
        for value in w.dropLast() { XCTAssertEqual(value, 0, accuracy: 1e-13 * w[n - 1]) }
        XCTAssertEqual(SymmetricEigen(symmetric: repeated, dimension: n).eigenvalues, [-1, -1, 0, 0, 2, 3, 3, 3, 3])
        XCTAssertEqual(SymmetricEigen(symmetric: [-2.5], dimension: 1).eigenvectors, [1])
    }

    /// The path graph Laplacian (2 on the diagonal, -1 beside it): w_k = 2 - 2 cos(k pi / (n + 1)).
    func testEigenvaluesOfTheLaplacianMatchTheClosedForm() {
        let n = 64
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            m[i * n + i] = 2
            if i + 1 < n { m[i * n + i + 1] = -1; m[(i + 1) * n + i] = -1 }
        }
        let w = SymmetricEigen.eigenvalues(ofSymmetric: m, dimension: n)
        for k in 1...n {
            XCTAssertEqual(w[k - 1], 2 - 2 * cos(Double(k) * Double.pi / Double(n + 1)), accuracy: 1e-14 * 4 * Double(n))
        }
    }

    func testEigenReadsOnlyTheUpperTriangle() {
        var rng = RandomGenerator(seed: 6)
        let n = 10
        let m = randomSymmetric(n, &rng)
        var garbled = m
        for i in 0..<n { for j in 0..<i { garbled[i * n + j] = 1e3 * Double(i - j) } }
        let eigen = SymmetricEigen(symmetric: garbled, dimension: n)
        XCTAssertEqual(eigen.eigenvalues, SymmetricEigen(symmetric: m, dimension: n).eigenvalues)
        assertDecomposes(m, eigen, "upper triangle")
    }

    // MARK: Helpers

    /// A = V diag(w) Vᵀ, VᵀV = I and w ascending, to a small multiple of eps * n * max|A|.
    func assertDecomposes(_ a: [Double], _ eigen: SymmetricEigen, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let n = eigen.dimension, v = eigen.eigenvectors, w = eigen.eigenvalues
        XCTAssertEqual(v.count, n * n, file: file, line: line)
        let scale = max(a.map(abs).max()!, 1e-300)
        var reconstruction = 0.0, orthogonality = 0.0
        for i in 0..<n {
            for j in 0..<n {
                var product = 0.0, gram = 0.0
                for k in 0..<n {
                    product += v[i * n + k] * w[k] * v[j * n + k]
                    gram += v[k * n + i] * v[k * n + j]
                }
                reconstruction = max(reconstruction, abs(product - a[i * n + j]))
                orthogonality = max(orthogonality, abs(gram - (i == j ? 1 : 0)))
            }
        }
        XCTAssertLessThanOrEqual(reconstruction, 1e-14 * Double(n) * scale, "\(name): max |A - V diag(w) Vᵀ|", file: file, line: line)
        XCTAssertLessThanOrEqual(orthogonality, 1e-14 * Double(n), "\(name): max |VᵀV - I|", file: file, line: line)
        XCTAssertEqual(w, w.sorted(), "\(name): ascending", file: file, line: line)
    }

    private func gaussian(_ count: Int, _ rng: inout RandomGenerator) -> [Float] {
        (0..<count).map { _ in
            let u = Double.random(in: Double.ulpOfOne..<1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
            return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
    }

    private func randomSymmetric(_ n: Int, _ rng: inout RandomGenerator) -> [Double] {
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                let x = Double.random(in: -1...1, using: &rng)
                m[i * n + j] = x
                m[j * n + i] = x
            }
        }
        return m
    }

    /// A random orthogonal matrix [n, n] (modified Gram-Schmidt on uniform rows).
    private func orthogonal(_ n: Int, _ rng: inout RandomGenerator) -> [Double] {
        var q = (0..<(n * n)).map { _ in Double.random(in: -1...1, using: &rng) }
        for i in 0..<n {
            for j in 0..<i {
                let dot = (0..<n).reduce(0.0) { $0 + q[i * n + $1] * q[j * n + $1] }
                for k in 0..<n { q[i * n + k] -= dot * q[j * n + k] }
            }
            let norm = (0..<n).reduce(0.0) { $0 + q[i * n + $1] * q[i * n + $1] }.squareRoot()
            for k in 0..<n { q[i * n + k] /= norm }
        }
        return q
    }

    /// Qᵀ diag(values) Q for Q with orthonormal rows.
    func conjugate(_ q: [Double], _ values: [Double]) -> [Double] {
        let n = values.count
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                m[i * n + j] = (0..<n).reduce(0.0) { $0 + q[$1 * n + i] * values[$1] * q[$1 * n + j] }
            }
        }
        return m
    }
}
