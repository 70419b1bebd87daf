import Foundation
import PlinthAdapters
import PlinthModels
import PlinthNN
import XCTest

/// The action heads on a tiny model: output shapes, gradients reaching the
/// trunk and the vision tower, the normalization round trip, RT-2's bins,
/// ACT's ensemble weights, and each head fitting a fixed batch.
final class ActionPolicyTests: XCTestCase {
    let model = ModelConfig(embedDim: 16, shared: SharedConfig(layers: 1, width: 12, heads: 2),
                            vision: VisionConfig(imageSize: 8, patchSize: 4, width: 12, layers: 0, heads: 2),
                            text: TextConfig(vocabSize: 20, contextLength: 5, width: 12, layers: 0, heads: 2))
    let (b, p, a, k) = (3, 2, 2, 4)

    func policy(_ head: PolicyConfig.Head, horizon: Int? = nil) throws -> (ActionPolicy, MultimodalModel) {
        let g = RandomGenerator(seed: 1)
        let config = PolicyConfig(head: head, horizon: horizon ?? k, bins: 16, hidden: 32, blocks: 2, diffusionSteps: 5,
                                  task: "reach", stateDimension: p, actionDimension: a)
        try config.validate()
        return (ActionPolicy(config, model: model, generator: g), try MultimodalModel(model, generator: g))
    }

    /// Instructions of 3, 5 and 2 tokens of width 12.
    func batch(horizon: Int) -> (images: Tensor, text: TextTokens, states: Tensor, actions: Tensor, mask: Tensor) {
        let g = RandomGenerator(seed: 2)
        let mask = Tensor((0..<b * horizon).map { $0 == b * horizon - 1 ? 0 : 1 }, shape: [b, horizon])
        let keep = Tensor([3, 5, 2].flatMap { n in (0..<5).map { $0 < n ? Float(1) : 0 } }, shape: [b, 5])
        return (.randn([b, 3, 8, 8], generator: g), TextTokens(tokens: .randn([b, 5, 12], generator: g), keep: keep),
                .randn([b, p], generator: g), .rand([b, horizon, a], low: -0.8, high: 0.8, generator: g), mask)
    }

    func testEveryHeadPredictsChunksAndTrainsThroughTheBackbone() throws {
        for head in PolicyConfig.Head.allCases {
            let horizon = head == .discrete ? 1 : k
            let (policy, mm) = try self.policy(head, horizon: horizon)
            let x = batch(horizon: horizon)
            policy.normalization.fit(actions: [-1, -2, 1, 2, 0, 0], states: [0, 1, 2, 3, 4, 5])
            let loss = policy.loss(mm, images: x.images, instruction: x.text, states: x.states, actions: x.actions, mask: x.mask,
                                   generator: RandomGenerator(seed: 3))
            XCTAssertTrue(loss.item().isFinite, "\(head)")
            loss.backward()
            for (key, t) in policy.namedParameters() { XCTAssertNotNil(t.grad, "\(head): \(key) gets a gradient") }
            XCTAssertNotNil(mm.visual!.conv1.grad, "\(head): the vision tower learns")
            XCTAssertNotNil(mm.backbone!.resblocks[0].attn.inProjWeight.grad, "\(head): the shared blocks learn")
            let chunk = policy.act(mm, images: x.images, instruction: x.text, states: x.states, generator: RandomGenerator(seed: 4))
            XCTAssertEqual(chunk.shape, [b, horizon, a], "\(head)")
            for (i, v) in chunk.toArray().enumerated() {
                let d = i % a
                XCTAssertTrue(v >= policy.normalization.actionLow.toArray()[d] - 1e-5 && v <= policy.normalization.actionHigh.toArray()[d] + 1e-5,
                              "\(head): actions stay within the fitted bounds")
            }
            XCTAssertTrue(policy.namedTensors().map(\.0).contains("normalization.action_low"), "statistics travel in the state dict")
        }
    }

    func testTheInstructionIsReadFromItsRealTokensOnly() throws {
        let (policy, mm) = try self.policy(.chunk)
        Init.normal(policy.trunk.film.weight, std: 0.2, generator: RandomGenerator(seed: 6))   // FiLM starts at zero
        let x = batch(horizon: k)
        func readout(_ text: TextTokens) -> [Float] {
            withNoGrad { policy.trunk(mm, images: x.images, instruction: text, state: x.states).toArray() }
        }
        let reference = readout(x.text)
        let noisyPadding = x.text.tokens + Tensor.randn([b, 5, 12], generator: RandomGenerator(seed: 7)) * (1 - x.text.keep.unsqueeze(2))
        XCTAssertEqual(readout(TextTokens(tokens: noisyPadding, keep: x.text.keep)), reference, accuracy: 1e-5,
                       "padding does not change the readout")
        let otherWords = x.text.tokens + Tensor.randn([b, 5, 12], generator: RandomGenerator(seed: 8))
        let changed = zip(readout(TextTokens(tokens: otherWords, keep: x.text.keep)), reference).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(changed, 1e-3, "other words change the readout")
    }

    func testKeypointsUsePatchCentresInRowMajorOrder() {
        XCTAssertEqual(PolicyTrunk.patchCentres(4).toArray(), [-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(Array(PolicyTrunk.patchCentres(9).toArray().suffix(2)), [2 / 3, 2 / 3], accuracy: 1e-6)
    }

    func testNormalizationUsesPercentilesAndRoundTrips() {
        let n = ActionNormalization(stateDimension: 1, actionDimension: 1)
        let actions = (0...100).map(Float.init)            // percentiles 1 and 99 are 1 and 99
        n.fit(actions: actions, states: actions)
        XCTAssertEqual(n.actionLow.item(), 1, accuracy: 1e-5)
        XCTAssertEqual(n.actionHigh.item(), 99, accuracy: 1e-5)
        XCTAssertEqual(n.stateMean.item(), 50, accuracy: 1e-4)
        let raw = Tensor([1, 50, 99, 120, 0, 74.5], shape: [6, 1])
        let x = n.normalize(actions: raw)
        XCTAssertEqual(x.toArray(), [-1, 0, 1, 1, -1, 0.5], accuracy: 1e-5)
        XCTAssertEqual(n.denormalize(actions: x).toArray(), [1, 50, 99, 99, 1, 74.5], accuracy: 1e-4,
                       "the round trip is exact inside the bounds and clips outside")
    }

    func testDiscreteBinsAndCentres() throws {
        let head = DiscreteActionHead(width: 4, horizon: 1, actionDimension: 1, bins: 256)
        XCTAssertEqual(head.bin(-1), 0)
        XCTAssertEqual(head.bin(1), 255)
        XCTAssertEqual(head.bin(0), 128)
        for i in [0, 17, 128, 255] { XCTAssertEqual(head.bin(head.centre(i)), i) }
        XCTAssertEqual(head.centre(0), -1 + 1 / 256, accuracy: 1e-7)
    }

    func testTemporalEnsembleWeightsOlderPredictionsMore() {
        var ensemble = TemporalEnsemble(horizon: 2, decay: 1)
        XCTAssertEqual(ensemble.step(chunk: [[1], [2]]), [1])
        // Step 1 has the prediction 2 (weight 1, the older) and 4 (weight e^-1).
        let w = Float(Foundation.exp(-1.0))
        XCTAssertEqual(ensemble.step(chunk: [[4], [8]])[0], (2 + 4 * w) / (1 + w), accuracy: 1e-6)
        var single = TemporalEnsemble(horizon: 1, decay: 0.01)
        XCTAssertEqual(single.step(chunk: [[3, 4]]), [3, 4])
    }

    func testEachHeadFitsAFixedBatch() throws {
        for head in PolicyConfig.Head.allCases {
            let horizon = head == .discrete ? 1 : 2
            let (policy, mm) = try self.policy(head, horizon: horizon)
            let x = batch(horizon: horizon)
            let params = policy.parameters() + mm.parameters()
            let optimizer = AdamW([ParameterGroup(positional: params, weightDecay: 0)], learningRate: 3e-3)
            let g = RandomGenerator(seed: 5)
            func loss() -> Float {
                withNoGrad {
                    (0..<4).map { _ in policy.loss(mm, images: x.images, instruction: x.text, states: x.states, actions: x.actions,
                                                   mask: x.mask, generator: g).item() }.reduce(0, +)
                }
            }
            let before = loss()
            for _ in 0..<150 {
                optimizer.zeroGrad()
                policy.loss(mm, images: x.images, instruction: x.text, states: x.states, actions: x.actions, mask: x.mask,
                            generator: g).backward()
                optimizer.step()
            }
            XCTAssertLessThan(loss(), before * 0.5, "\(head) learns the batch")
        }
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, _ message: String = "", line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message, line: line) }
}
