import Foundation
import PlinthModels
import PlinthNN
import PlinthTestSupport
import XCTest

final class BertEncoderTests: XCTestCase {
    let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 32,
                            maxPositionEmbeddings: 24)

    /// Padding does not change a sentence vector: mean pooling and attention both mask it.
    func testPaddingDoesNotChangeTheEmbedding() {
        let encoder = BertEncoder(config, generator: RandomGenerator(seed: 1))
        let short = [2, 7, 9, 3], long = [2, 11, 12, 13, 14, 15, 3]
        let alone = encoder.encode(short + [0, 0, 0], batch: 1)
        let padded = encoder.encode(short + Array(repeating: 0, count: 13), batch: 1)
        let batched = encoder.encode(short + [0, 0, 0] + long, batch: 2).narrow(0, 0, 1)
        XCTAssertLessThan(maxAbsDifference(alone, padded), 1e-6)
        XCTAssertLessThan(maxAbsDifference(alone, batched), 1e-5)
        XCTAssertEqual(alone.toArray().reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)   // normalize: true
    }

    /// Token features: real tokens marked, independent of the padding, and mean-pooled to `encode`.
    func testTokenFeaturesMarkTheRealTokens() {
        let encoder = BertEncoder(config, generator: RandomGenerator(seed: 1))
        let short = [2, 7, 9, 3], long = [2, 11, 12, 13, 14, 15, 3]
        let x = encoder.tokens(short + [0, 0, 0] + long, batch: 2)
        XCTAssertEqual(x.tokens.shape, [2, 7, 16])
        XCTAssertEqual(x.keep.toArray(), [1, 1, 1, 1, 0, 0, 0] + Array(repeating: 1, count: 7))
        let alone = encoder.tokens(short, batch: 1).tokens
        XCTAssertLessThan(maxAbsDifference(alone, x.tokens.narrow(0, 0, 1).narrow(1, 0, 4)), 1e-5)
        let pooled = alone.mean(dim: 1).l2Normalized()
        XCTAssertLessThan(maxAbsDifference(pooled, encoder.encode(short, batch: 1)), 1e-6)
    }

    func testKeysFollowHuggingFaceBertModel() throws {
        let keys = Set(BertEncoder(config).namedParameters().map(\.0))
        XCTAssertTrue(keys.contains("embeddings.word_embeddings.weight"))
        XCTAssertTrue(keys.contains("encoder.layer.1.attention.self.query.weight"))
        XCTAssertTrue(keys.contains("encoder.layer.0.attention.output.LayerNorm.bias"))
        XCTAssertTrue(keys.contains("encoder.layer.1.output.dense.weight"))
        XCTAssertEqual(keys.count, 5 + 2 * 16)
    }

    /// A model with a bert text tower: its key prefix, and the config rules.
    func testMultimodalModelWithBertTower() throws {
        var model = ModelConfig(embedDim: 16, shared: SharedConfig(layers: 0, width: 0, heads: 1), bert: config)
        XCTAssertNotNil(try MultimodalModel(model).stateDict()["bert.encoder.layer.0.intermediate.dense.bias"])
        model.embedDim = 8
        XCTAssertThrowsError(try model.validate()) { XCTAssertTrue("\($0)".contains("bert.hidden_size"), "\($0)") }
        model.embedDim = 16
        model.text = TextConfig(vocabSize: 10, contextLength: 4, width: 16, layers: 1, heads: 4)
        XCTAssertThrowsError(try model.validate()) { XCTAssertTrue("\($0)".contains("text or bert"), "\($0)") }
    }
}
