import Foundation
import PlinthAdapters
import PlinthModels
import PlinthNN
import PlinthTestSupport
import XCTest

/// The caption head: mapper shapes, a causal decoder whose teacher-forced
/// scores equal step-by-step decoding, the loss's targets, gradients through
/// the whole head, and a head that learns to caption four inputs.
final class CaptionHeadTests: XCTestCase {
    let model = ModelConfig(embedDim: 16, shared: SharedConfig(layers: 1, width: 12, heads: 2),
                            vision: VisionConfig(imageSize: 8, patchSize: 4, width: 12, layers: 0, heads: 2))

    func config(_ mapper: CaptionConfig.Mapper = .transformer, input: CaptionConfig.Input = .embedding) -> CaptionConfig {
        CaptionConfig(input: input, mapper: mapper, prefixLength: 3, mapperLayers: 1, width: 8, layers: 2, heads: 2,
                      vocabSize: 11, contextLength: 7)
    }

    func head(_ c: CaptionConfig, seed: UInt64 = 1) -> CaptionHead {
        CaptionHead(c, conditionWidth: c.conditionWidth(model), generator: RandomGenerator(seed: seed))
    }

    func testMappersGiveKPrefixVectorsAndKeysAreExplicit() throws {
        let g = RandomGenerator(seed: 3)
        for (mapper, input, condition) in [(CaptionConfig.Mapper.mlp, CaptionConfig.Input.embedding, Tensor.randn([2, 16], generator: g)),
                                           (.transformer, .embedding, .randn([2, 16], generator: g)),
                                           (.transformer, .tokens, .randn([2, 5, 12], generator: g))] {
            let c = config(mapper, input: input)
            try c.validate(on: model)
            XCTAssertEqual(head(c).prefix(condition).shape, [2, 3, 8], "\(mapper) \(input)")
        }
        let keys = Set(head(config(.mlp)).stateDict().keys)
        XCTAssertTrue(keys.isSuperset(of: ["mapper.fc1.weight", "mapper.fc2.bias", "decoder.token_embedding.weight",
                                           "decoder.positional_embedding", "decoder.transformer.resblocks.1.attn.in_proj_weight",
                                           "decoder.ln_final.weight"]))
        XCTAssertTrue(head(config(.transformer, input: .tokens)).stateDict().keys.contains("mapper.ln_in.weight"))
        XCTAssertEqual(head(config()).stateDict()["mapper.prefix_const"]?.shape, [3, 8])
    }

    func testConfigErrorsNameTheField() {
        func field(_ c: CaptionConfig, _ m: ModelConfig? = nil) -> String? {
            do { try c.validate(on: m ?? model); return nil } catch let e as ModelConfigError { return e.field } catch { return "?" }
        }
        XCTAssertEqual(field(config(.mlp, input: .tokens)), "mapper")
        var separate = model
        separate.shared = SharedConfig(layers: 0, width: 0, heads: 1)
        XCTAssertEqual(field(config(.transformer, input: .tokens), separate), "input")
        var c = config()
        c.heads = 3
        XCTAssertEqual(field(c), "width")
        c = config()
        c.prefixLength = 0
        XCTAssertEqual(field(c), "prefix_length")
    }

    /// Teacher forcing scores each position from the tokens before it only:
    /// the full row's scores equal those of its prefixes, and padding after the end changes nothing.
    func testDecoderIsCausalAndLossIgnoresPadding() {
        let h = head(config())
        let prefix = h.prefix(Tensor.randn([1, 16], generator: RandomGenerator(seed: 5)))
        let ids = [9, 4, 2, 7, 10, 0, 0]                                                 // start, 3 tokens, end, padding
        let full = withNoGrad { h.decoder(prefix: prefix, ids: ids, length: 7) }.toArray()
        for t in 1...5 {
            let part = withNoGrad { h.decoder(prefix: prefix, ids: Array(ids.prefix(t)), length: t) }.toArray()
            XCTAssertLessThan(zip(part, full.prefix(t * 11)).map { abs($0 - $1) }.max()!, 1e-5, "first \(t) tokens")
        }
        let condition = Tensor.randn([1, 16], generator: RandomGenerator(seed: 5))
        let mask = [1, 1, 1, 1, 1, 0, 0]
        let loss = withNoGrad { h.loss(condition: condition, ids: ids, mask: mask, length: 7) }.item()
        let repadded = withNoGrad { h.loss(condition: condition, ids: [9, 4, 2, 7, 10, 3, 8], mask: mask, length: 7) }.item()
        XCTAssertEqual(loss, repadded)
        // The mean of -log p over the 4 targets (3 tokens and the end), from the teacher-forced scores.
        let logits = Tensor(full, shape: [7, 11]).logSoftmax(dim: -1).toArray()
        let targets: [Float] = (0..<4).map { t in logits[t * 11 + ids[t + 1]] }
        let expected = -targets.reduce(0, +) / 4
        XCTAssertEqual(loss, expected, accuracy: 1e-5)
    }

    /// The condition's gradient passes through the mapper and every decoder block.
    func testLossGradientsThroughTheWholeHeadMatchFiniteDifferences() {
        for mapper in [CaptionConfig.Mapper.mlp, .transformer] {
            let h = head(config(mapper))
            let condition = Tensor.randn([2, 16], generator: RandomGenerator(seed: 9))
            let ids = [9, 1, 2, 10, 0, 0, 0, 9, 3, 3, 4, 5, 10, 0]
            let mask = [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0]
            let result = gradientCheck([condition]) { inputs in h.loss(condition: inputs[0], ids: ids, mask: mask, length: 7) }
            XCTAssertTrue(result.passed, "\(mapper): \(result)")
        }
    }

    /// Four inputs with their own captions: a few hundred AdamW steps and greedy
    /// decoding gives each its caption back, with a log-probability near 0.
    func testHeadLearnsToCaptionFourInputs() throws {
        let h = head(config(.transformer), seed: 2)
        let conditions = Tensor.randn([4, 16], generator: RandomGenerator(seed: 4))
        let captions = [[1, 2, 3], [4, 5], [6, 7, 8], [1, 5, 3]]
        let rows = captions.map { [9] + $0 + [10] + [Int](repeating: 0, count: 7 - $0.count - 2) }
        let masks = captions.map { [Int](repeating: 1, count: $0.count + 2) + [Int](repeating: 0, count: 7 - $0.count - 2) }
        let optimizer = AdamW(h.parameterGroups(weightDecay: 0), learningRate: 3e-3)
        var loss: Float = .nan
        for _ in 0..<300 {
            optimizer.zeroGrad()
            let l = h.loss(condition: conditions, ids: rows.flatMap { $0 }, mask: masks.flatMap { $0 }, length: 7)
            l.backward()
            optimizer.step()
            loss = l.item()
        }
        XCTAssertLessThan(loss, 0.05)
        h.eval()
        var options = DecodingOptions()
        options.maxLength = 6
        var g = RandomGenerator(seed: 0)
        for (i, caption) in captions.enumerated() {
            for beams in [1, 3] {
                options.beams = beams
                let best = try h.caption(condition: conditions.narrow(0, i, 1), start: 9, end: 10, options: options, generator: &g)[0]
                XCTAssertEqual(best.tokens, caption, "input \(i), \(beams) beams")
                XCTAssertTrue(best.finished)
                XCTAssertGreaterThan(best.logProbability, -0.5)
            }
        }
        options.maxLength = 7
        XCTAssertThrowsError(try h.caption(condition: conditions.narrow(0, 0, 1), start: 9, end: 10, options: options, generator: &g))
    }
}
