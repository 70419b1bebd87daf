import Foundation
import PlinthData
import PlinthModels
import PlinthNN
import PlinthRecipes
import XCTest

/// A tiny image-text model and batch for contrastive steps (no files needed).
enum TinyContrastive {
    /// A batch of 8 random images and captions.
    static func batch(_ g: RandomGenerator) -> Batch {
        var b = Batch(index: 0, records: (0..<8).map { ManifestRecord(id: "\($0)", split: .train) })
        b.image = .randn([8, 3, 16, 16], generator: g)
        let ids = (0..<8).flatMap { i in [48, 1 + i, 2 + i, 49] + [Int](repeating: 0, count: 4) }
        b.text = TokenBatch(ids: ids, attentionMask: ids.map { $0 == 0 ? 0 : 1 }, batch: 8, length: 8)
        return b
    }

    static func model() throws -> MultimodalModel {
        try MultimodalModel(ModelConfig(
            embedDim: 8, shared: SharedConfig(layers: 1, width: 16, heads: 2),
            vision: VisionConfig(imageSize: 16, patchSize: 8, width: 16, layers: 0, heads: 2),
            text: TextConfig(vocabSize: 50, contextLength: 8, width: 16, layers: 0, heads: 2)),
            generator: RandomGenerator(seed: 5))
    }
}

final class ContrastiveStepTests: XCTestCase {
    func batch(_ g: RandomGenerator) -> Batch { TinyContrastive.batch(g) }

    func model() throws -> MultimodalModel { try TinyContrastive.model() }

    func gradients(_ m: MultimodalModel) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.0, $0.1.grad?.toArray() ?? []) })
    }

    /// open_clip's accumulation gives the full-batch gradient, logit scale included.
    func testAccumulationEqualsTheFullBatch() throws {
        let step = ContrastiveStep(pairs: [.init(a: .image, b: .text)])
        let b = batch(RandomGenerator(seed: 1))
        let (whole, split) = (try model(), try model())
        let lossWhole = try step(whole, [b])
        let lossSplit = try step(split, [b.slice(0..<4), b.slice(4..<8)])
        XCTAssertEqual(lossWhole, lossSplit, accuracy: 1e-5)
        let (gw, gs) = (gradients(whole), gradients(split))
        for (key, g) in gw {
            XCTAssertFalse(g.isEmpty, key)
            for (x, y) in zip(g, gs[key]!) { XCTAssertEqual(x, y, accuracy: 1e-5 + 1e-3 * abs(x), key) }
        }
    }

    /// Embedding some rows gives those rows of the whole batch's embedding (the conditions of `mix_conditions`).
    func testEmbeddingChosenRowsEqualsThoseRowsOfTheWholeBatch() throws {
        let m = try model()
        let b = batch(RandomGenerator(seed: 3))
        let rows = [6, 1, 4]
        for field in [Field.image, .text] {
            let whole = try XCTUnwrap(m.embed(field, of: b)).indexSelect(dim: 0, indices: rows)
            let chosen = try XCTUnwrap(m.embed(field, of: b, rows: rows))
            XCTAssertEqual(chosen.shape, [3, 8])
            for (x, y) in zip(chosen.toArray(), whole.toArray()) { XCTAssertEqual(x, y, accuracy: 1e-5, "\(field)") }
        }
        XCTAssertNil(m.embed(.audio, of: b, rows: rows))
    }

    /// A pair with an optional field counts only the rows that have it.
    func testOptionalFieldUsesItsRows() throws {
        let step = ContrastiveStep(pairs: [.init(a: .image, b: .text)])
        var b = batch(RandomGenerator(seed: 2))
        let rows = [1, 2, 5]
        let (partial, reference) = (try model(), try model())
        let sub = b.image!.indexSelect(dim: 0, indices: rows)
        var only = b.slice(0..<3)
        only.image = sub
        only.text = TokenBatch(ids: rows.flatMap { r in Array(b.text!.ids[r * 8..<(r + 1) * 8]) },
                               attentionMask: [Int](repeating: 1, count: 24), batch: 3, length: 8)
        b.image = sub
        b.rows[.image] = rows
        XCTAssertEqual(try step(partial, [b]), try step(reference, [only]), accuracy: 1e-5)
    }
}
