import PlinthModels
import PlinthNN
@testable import PlinthObjectives
import PlinthTestSupport
import XCTest

final class DenoiserTests: XCTestCase {
    let config = DenoiserConfig(imageSize: 8, channels: 1, patchSize: 2, width: 16, layers: 2, heads: 2)

    /// adaLN-zero: every gate and the output layer start at zero, so a fresh denoiser predicts 0.
    func testStartsAsZeroPrediction() {
        let denoiser = Denoiser(config, conditionWidth: 6, generator: RandomGenerator(seed: 1))
        let x = Tensor.randn([3, 1, 8, 8], generator: RandomGenerator(seed: 2))
        let y = denoiser(x, timesteps: [0, 500, 999], condition: Tensor.randn([3, 6], generator: RandomGenerator(seed: 3)))
        XCTAssertEqual(y.shape, [3, 1, 8, 8])
        XCTAssertEqual(y.toArray(), [Float](repeating: 0, count: 3 * 64))
    }

    /// Keys as DiT's, with the vector condition in place of the label table.
    func testKeys() {
        let keys = Set(Denoiser(config, conditionWidth: 6).namedParameters().map(\.0))
        for key in ["x_embedder.proj.weight", "x_embedder.proj.bias", "t_embedder.mlp.0.weight", "t_embedder.mlp.2.bias",
                    "c_embedder.proj.weight", "c_embedder.null_condition", "blocks.1.attn.qkv.weight",
                    "blocks.0.attn.proj.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.bias",
                    "blocks.1.adaLN_modulation.1.weight", "final_layer.linear.weight", "final_layer.adaLN_modulation.1.bias"] {
            XCTAssertTrue(keys.contains(key), key)
        }
        XCTAssertEqual(keys.count, 2 + 4 + 3 + 2 * 10 + 4)
    }

    /// DiT's unpatchify puts the (p, q, c) features of token (i, j) at pixel (c, i p + p', j p + q').
    func testUnpatchifyLayout() {
        let (p, c, g) = (2, 3, 2)
        var tokens = [Float](), expected = [Float](repeating: 0, count: c * 16)
        for i in 0..<g { for j in 0..<g { for pp in 0..<p { for q in 0..<p { for k in 0..<c {
            let value = Float(tokens.count)
            tokens.append(value)
            expected[(k * 4 + i * p + pp) * 4 + j * p + q] = value
        } } } } }
        let image = Denoiser.unpatchify(Tensor(tokens, shape: [1, g * g, p * p * c]), channels: c, patch: p, grid: g)
        XCTAssertEqual(image.toArray(), expected)
    }

    /// Dropping every row's condition equals asking for none; keeping every row equals passing no mask.
    func testConditionDropoutUsesTheNullCondition() {
        let denoiser = randomized(Denoiser(config, conditionWidth: 6, generator: RandomGenerator(seed: 4)))
        let x = Tensor.randn([2, 1, 8, 8], generator: RandomGenerator(seed: 5))
        let c = Tensor.randn([2, 6], generator: RandomGenerator(seed: 6))
        let none = denoiser(x, timesteps: [10, 20], condition: nil).toArray()
        let dropped = denoiser(x, timesteps: [10, 20], condition: c, keep: [0, 0]).toArray()
        XCTAssertEqual(dropped, none)
        XCTAssertEqual(denoiser(x, timesteps: [10, 20], condition: c, keep: [1, 1]).toArray(),
                       denoiser(x, timesteps: [10, 20], condition: c).toArray())
        XCTAssertNotEqual(denoiser(x, timesteps: [10, 20], condition: c).toArray(), none)
    }

    func testGradientsOfInputAndCondition() {
        let small = DenoiserConfig(imageSize: 4, channels: 2, patchSize: 2, width: 8, layers: 1, heads: 2)
        let denoiser = randomized(Denoiser(small, conditionWidth: 3, generator: RandomGenerator(seed: 7)))
        let x = Tensor.randn([2, 2, 4, 4], generator: RandomGenerator(seed: 8))
        let c = Tensor.randn([2, 3], generator: RandomGenerator(seed: 9))
        let result = gradientCheck([x, c]) { t in denoiser(t[0], timesteps: [3, 700], condition: t[1], keep: [1, 0.5]) }
        XCTAssertTrue(result.passed, result.description)
    }

    /// A few Adam steps on a fixed batch lower the loss (the whole objective is wired to the gradients).
    func testLossDecreasesOnAFixedBatch() {
        let generator = RandomGenerator(seed: 10)
        let denoiser = Denoiser(config, conditionWidth: 4, generator: generator)
        let schedule = NoiseSchedule(kind: .linear)
        let x0 = Tensor.randn([8, 1, 8, 8], generator: generator).clamp(min: -1, max: 1)
        let condition = Tensor.randn([8, 4], generator: generator)
        let optimizer = AdamW(denoiser.parameterGroups(weightDecay: 0), learningRate: 3e-3)
        func loss(seed: UInt64) -> Tensor {
            diffusionLoss(denoiser, schedule: schedule, images: x0, condition: condition, conditionDropout: 0.1,
                          generator: RandomGenerator(seed: seed))
        }
        let before = (0..<4).map { i in withNoGrad { loss(seed: UInt64(100 + i)).item() } }.reduce(0, +)
        for step in 0..<60 {
            optimizer.zeroGrad()
            loss(seed: UInt64(step)).backward()
            optimizer.step()
        }
        let after = (0..<4).map { i in withNoGrad { loss(seed: UInt64(100 + i)).item() } }.reduce(0, +)
        XCTAssertLessThan(after, 0.8 * before)
    }

    func testConfigErrorsNameTheField() {
        var bad = config
        bad.patchSize = 3
        XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual(($0 as? ModelConfigError)?.field, "patch_size") }
        bad = config
        bad.channels = 2
        XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual(($0 as? ModelConfigError)?.field, "channels") }
    }

    /// Gives the zero-initialized layers random weights so every path carries signal.
    func randomized(_ denoiser: Denoiser) -> Denoiser {
        let generator = RandomGenerator(seed: 99)
        for p in denoiser.parameters() where p.toArray().allSatisfy({ $0 == 0 }) {
            p.assign(Tensor.randn(p.shape, std: 0.3, generator: generator))
        }
        return denoiser
    }
}
