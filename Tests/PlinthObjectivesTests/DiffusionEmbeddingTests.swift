import Foundation
import PlinthNN
import PlinthObjectives
import PlinthTestSupport
import XCTest

/// DiT's timestep features and 2D sin-cos position embedding against diffusers.models.embeddings.
final class DiffusionEmbeddingTests: XCTestCase {
    typealias F = DiffusionFixture

    func testTimestepEmbeddingMatchesDiffusers() {
        let t = F.floats("embed.timestep.t")
        XCTAssertEqual(t, [0, 1, 17, 250, 999, 0.5, 123.25])
        // torch's vectorized float32 exp is not always correctly rounded (3 of the 128 frequencies
        // differ by one ulp here), and an ulp of f moves t · f by up to t · 6e-8: allow that per row.
        func check(_ actual: Tensor, _ key: String, dim: Int) {
            let a = actual.toArray(), e = F.floats(key)
            XCTAssertEqual(actual.shape, [t.count, dim], key)
            for (b, time) in t.enumerated() {
                assertAllClose(Array(a[b * dim..<(b + 1) * dim]), Array(e[b * dim..<(b + 1) * dim]),
                               atol: 2e-6 + 1.2e-7 * time, rtol: 0, "\(key) t = \(time)")
            }
        }
        check(timestepEmbedding(t, dim: 256), "embed.timestep.dim256", dim: 256)
        check(timestepEmbedding(t, dim: 256, downscaleFreqShift: 1), "embed.timestep.dim256.shift1", dim: 256)
        check(timestepEmbedding(t, dim: 7), "embed.timestep.dim7", dim: 7)
    }

    func testTimestepEmbeddingLayout() {
        let e = timestepEmbedding([0, 3], dim: 8).toArray()   // [2, 8]
        XCTAssertEqual(Array(e[0..<8]), [1, 1, 1, 1, 0, 0, 0, 0], "t = 0: cosines first")
        XCTAssertEqual(e[8], Float(Foundation.cos(3.0)), accuracy: 1e-6)
        XCTAssertEqual(e[12], Float(Foundation.sin(3.0)), accuracy: 1e-6)
        XCTAssertEqual(e[9], Float(Foundation.cos(3 * Foundation.exp(-Foundation.log(10000.0) / 4))), accuracy: 1e-6)
    }

    func testPositionEmbedding2DMatchesDiffusers() {
        for (d, g) in [(64, 8), (32, 4)] {
            assertAllClose(sinCosPositionEmbedding2D(dim: d, gridSize: g), F.tensor("embed.pos2d.dim\(d).grid\(g)"),
                           atol: 1e-6, rtol: 0, "dim \(d) grid \(g)")
        }
    }

    /// Row h · G + w: the first half of the width depends on the column w only, the second on the row h only.
    func testPositionEmbedding2DLayout() {
        let d = 16, g = 3
        let e = sinCosPositionEmbedding2D(dim: d, gridSize: g).toArray()   // [9, 16]
        func row(_ h: Int, _ w: Int) -> ArraySlice<Float> { e[(h * g + w) * d..<(h * g + w + 1) * d] }
        for h in 0..<g {
            for w in 0..<g {
                XCTAssertEqual(Array(row(h, w).prefix(d / 2)), Array(row(0, w).prefix(d / 2)))
                XCTAssertEqual(Array(row(h, w).suffix(d / 2)), Array(row(h, 0).suffix(d / 2)))
            }
        }
        XCTAssertEqual(Array(row(0, 0)), [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1])
        XCTAssertEqual(row(2, 1)[row(2, 1).startIndex], Float(Foundation.sin(1.0)), accuracy: 1e-7, "w = 1 at column 0")
        XCTAssertEqual(row(2, 1)[row(2, 1).startIndex + 8], Float(Foundation.sin(2.0)), accuracy: 1e-7, "h = 2 at column D/2")
    }
}
