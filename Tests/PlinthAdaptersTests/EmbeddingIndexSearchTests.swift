import Foundation
import PlinthAdapters
import PlinthNN
import XCTest

/// Chunked top-k search against a naive full sort.
final class EmbeddingIndexSearchTests: XCTestCase {
    /// Every chunking must give the same hits: one item or query at a time, ragged
    /// chunks, and chunks larger than the data.
    let chunkings = [(1, 1), (3, 7), (5, 64), (64, 13), (256, 16384)]

    /// Cosine top-k by scoring every item in Double and sorting them all
    /// (higher score first, then lower index).
    func naiveSearch(_ index: EmbeddingIndex, _ queries: Tensor, k: Int) -> [[(index: Int, score: Double)]] {
        let e = index.dimension, v = index.vectors.toArray(), q = queries.toArray()
        return (0..<queries.shape[0]).map { row in
            let query = q[(row * e)..<((row + 1) * e)].map(Double.init)
            let norm = max(query.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            let scores = (0..<index.count).map { i in
                (index: i, score: (0..<e).reduce(0.0) { $0 + query[$1] / norm * Double(v[i * e + $1]) })
            }
            return Array(scores.sorted { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }.prefix(k))
        }
    }

    func signs(_ shape: [Int], _ generator: RandomGenerator) -> Tensor {
        Tensor((0..<Tensor.count(shape)).map { _ in generator.nextInt(below: 2) == 0 ? -1 : 1 }, shape: shape)
    }

    func ids(_ n: Int) -> [String] { (0..<n).map { "item-\($0)" } }

    func testGaussianMatchesNaiveSearch() throws {
        let generator = RandomGenerator(seed: 7)
        let index = try EmbeddingIndex(vectors: Tensor.randn([300, 24], generator: generator), ids: ids(300))
        let queries = Tensor.randn([37, 24], generator: generator)
        let expected = naiveSearch(index, queries, k: 10)
        for (queryChunk, itemChunk) in chunkings {
            let hits = index.search(queries, k: 10, queryChunk: queryChunk, itemChunk: itemChunk)
            XCTAssertEqual(hits.count, 37)
            for (got, want) in zip(hits, expected) {
                XCTAssertEqual(got.map(\.index), want.map(\.index), "chunks \(queryChunk) x \(itemChunk)")
                XCTAssertEqual(got.map(\.id), want.map { "item-\($0.index)" })
                for (g, w) in zip(got, want) { XCTAssertEqual(Double(g.score), w.score, accuracy: 1e-5) }
            }
        }
    }

    func testKEqualToNIsTheFullOrder() throws {
        let generator = RandomGenerator(seed: 9)
        let index = try EmbeddingIndex(vectors: Tensor.randn([120, 8], generator: generator), ids: ids(120))
        let queries = Tensor.randn([4, 8], generator: generator)
        let expected = naiveSearch(index, queries, k: 120).map { $0.map(\.index) }
        XCTAssertEqual(index.search(queries, k: 120, queryChunk: 3, itemChunk: 50).map { $0.map(\.index) }, expected)
    }

    /// Entries of +-1 over 16 dimensions: every cosine is an exact multiple of 1/8,
    /// so most scores tie and the lower index must win, whatever the chunking.
    func testTiesPreferTheLowerIndex() throws {
        let generator = RandomGenerator(seed: 11)
        let index = try EmbeddingIndex(vectors: signs([200, 16], generator), ids: ids(200))
        let queries = signs([9, 16], generator)
        let expected = naiveSearch(index, queries, k: 25)
        XCTAssertTrue(expected.contains { row in zip(row, row.dropFirst()).contains { $0.score == $1.score } })
        for (queryChunk, itemChunk) in chunkings {
            let hits = index.search(queries, k: 25, queryChunk: queryChunk, itemChunk: itemChunk)
            for (got, want) in zip(hits, expected) {
                XCTAssertEqual(got.map(\.index), want.map(\.index), "chunks \(queryChunk) x \(itemChunk)")
                XCTAssertEqual(got.map { Double($0.score) }, want.map(\.score))
            }
        }
    }

    func testKIsClampedToTheItemCount() throws {
        let index = try EmbeddingIndex(vectors: Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2]), ids: ["x", "y", "xy"])
        let hits = index.search(Tensor([2, 0], shape: [1, 2]), k: 10)
        XCTAssertEqual(hits[0].map(\.id), ["x", "xy", "y"])
        for (got, want) in zip(hits[0].map(\.score), [1, Float(0.5).squareRoot(), 0]) {
            XCTAssertEqual(got, want, accuracy: 1e-6, "scores are cosines")
        }
        XCTAssertEqual(index.search(Tensor([2, 0], shape: [1, 2]), k: 0), [[]])
        XCTAssertEqual(index.search(Tensor.zeros([0, 2]), k: 3), [])
        // A zero query scores 0 everywhere: the ties go to the lower indices.
        XCTAssertEqual(index.search(Tensor.zeros([1, 2]), k: 2)[0].map(\.index), [0, 1])
        let empty = try EmbeddingIndex(vectors: Tensor.zeros([0, 2]), ids: [])
        XCTAssertEqual(empty.search(Tensor.ones([2, 2]), k: 5), [[], []])
    }

    func testVectorsAreNormalizedOnCreation() throws {
        let raw = Tensor.randn([5, 8], generator: RandomGenerator(seed: 3)) * 7
        let index = try EmbeddingIndex(vectors: raw, ids: ids(5), model: "tiny")
        let v = index.vectors.toArray()
        for row in 0..<5 {
            let norm = (0..<8).reduce(Float(0)) { $0 + v[row * 8 + $1] * v[row * 8 + $1] }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-6)
        }
        XCTAssertEqual(index.count, 5)
        XCTAssertEqual(index.dimension, 8)
        XCTAssertEqual(index.model, "tiny")
        XCTAssertEqual(index.items, Array(repeating: EmbeddingIndex.ItemMetadata(), count: 5))
    }

    func testInvalidVectorsAndIdsAreErrors() {
        let vectors = Tensor([1, 2, 0, 0, 3, 4], shape: [3, 2])
        XCTAssertThrowsError(try EmbeddingIndex(vectors: vectors, ids: ["a", "b", "c"])) { error in
            XCTAssertTrue("\(error)".contains("item 1 (id \"b\") has a zero vector"), "\(error)")
        }
        XCTAssertThrowsError(try EmbeddingIndex(vectors: Tensor([1, .nan], shape: [1, 2]), ids: ["n"])) { error in
            XCTAssertTrue("\(error)".contains("item 0 (id \"n\") has a non-finite value"), "\(error)")
        }
        XCTAssertThrowsError(try EmbeddingIndex(vectors: Tensor.ones([3, 2]), ids: ["a", "b", "a"])) { error in
            XCTAssertTrue("\(error)".contains("id \"a\" of item 2"), "\(error)")
        }
    }
}
