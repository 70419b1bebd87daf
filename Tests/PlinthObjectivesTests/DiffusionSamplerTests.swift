import PlinthNN
import PlinthObjectives
import PlinthTestSupport
import XCTest

/// DDPMSampler and DDIMSampler against diffusers' DDPMScheduler.step and DDIMScheduler.step,
/// the sampling loop and classifier-free guidance.
final class DiffusionSamplerTests: XCTestCase {
    typealias F = DiffusionFixture
    let schedules = ["linear": NoiseSchedule(kind: .linear), "cosine": NoiseSchedule(kind: .cosine)]
    let predictions: [(String, Prediction)] = [("eps", .epsilon), ("v", .v)]
    let clips: [(String, Bool)] = [("clip", true), ("noclip", false)]
    // The samplers do diffusers' Float32 scalar arithmetic, so they agree to a few ulps (about 1e-6 here).
    let atol: Float = 1e-5, rtol: Float = 1e-5

    func testTimestepsMatchDiffusers() {
        let schedule = schedules["linear"]!
        for n in [1000, 50, 7] {
            XCTAssertEqual(DDPMSampler(schedule: schedule, inferenceSteps: n).timesteps, F.ints("ddpm.timesteps.\(n)"), "DDPM \(n)")
        }
        for n in [50, 10, 7] {
            XCTAssertEqual(DDIMSampler(schedule: schedule, inferenceSteps: n).timesteps, F.ints("ddim.timesteps.\(n)"), "DDIM \(n)")
        }
        XCTAssertEqual(DDIMSampler(schedule: schedule, inferenceSteps: 3).timesteps, [666, 333, 0])
        XCTAssertEqual(DDPMSampler(schedule: schedule, inferenceSteps: 1).timesteps, [0])
        let ddpm = DDPMSampler(schedule: schedule, inferenceSteps: 7)
        XCTAssertEqual(ddpm.timesteps, [852, 710, 568, 426, 284, 142, 0])
        XCTAssertEqual(ddpm.previousTimestep(0), 710)
        XCTAssertEqual(ddpm.previousTimestep(6), -1)
        XCTAssertEqual(DDIMSampler(schedule: schedule, inferenceSteps: 7).previousTimestep(6), -142)
    }

    func testDDPMStepsMatchDiffusers() {
        let sample = F.tensor("step.sample"), output = F.tensor("step.model_output"), noise = F.tensor("step.noise")
        let cases: [(String, Int, [Int])] = [("linear", 1000, [0, 500, 998, 999]), ("linear", 50, [0, 25, 48, 49]),
                                             ("linear", 7, [0, 3, 6]), ("cosine", 50, [0, 25, 49])]
        var checked = 0
        for (name, n, indices) in cases {
            for (p, prediction) in predictions {
                for (c, clip) in clips {
                    let sampler = DDPMSampler(schedule: schedules[name]!, inferenceSteps: n, prediction: prediction, clipSample: clip)
                    XCTAssertTrue(sampler.isStochastic)
                    for k in indices {
                        let key = "ddpm.\(name).n\(n).\(p).\(c).i\(k)"
                        assertAllClose(sampler.step(output, index: k, sample: sample, noise: noise), F.tensor(key),
                                       atol: atol, rtol: rtol, key)
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 56)
    }

    func testDDIMStepsMatchDiffusers() {
        let sample = F.tensor("step.sample"), output = F.tensor("step.model_output"), noise = F.tensor("step.noise")
        let cases: [(String, Int, [Int])] = [("linear", 50, [0, 25, 49]), ("linear", 10, [0, 5, 9]), ("linear", 7, [0, 6]),
                                             ("cosine", 10, [0, 5, 9])]
        var checked = 0
        for (name, n, indices) in cases {
            for (e, eta) in [("0", 0.0), ("0.5", 0.5)] {
                for (p, prediction) in predictions {
                    for (c, clip) in clips {
                        let sampler = DDIMSampler(schedule: schedules[name]!, inferenceSteps: n, eta: eta,
                                                  prediction: prediction, clipSample: clip)
                        XCTAssertEqual(sampler.isStochastic, eta > 0)
                        for k in indices {
                            let key = "ddim.\(name).n\(n).eta\(e).\(p).\(c).i\(k)"
                            assertAllClose(sampler.step(output, index: k, sample: sample, noise: eta > 0 ? noise : nil),
                                           F.tensor(key), atol: atol, rtol: rtol, key)
                            checked += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(checked, 88)
    }

    /// Ten steps with diffusers' fake denoiser model(x, t) = 0.1 x + (1 + t / 1000) c, compared row by row.
    func testFullLoopsMatchDiffusers() {
        let linear = schedules["linear"]!, cosine = schedules["cosine"]!
        let loops: [(String, any DiffusionSampler)] = [
            ("ddim.linear.eta0.eps.clip", DDIMSampler(schedule: linear, inferenceSteps: 10)),
            ("ddim.linear.eta0.v.noclip", DDIMSampler(schedule: linear, inferenceSteps: 10, prediction: .v, clipSample: false)),
            ("ddim.cosine.eta0.eps.clip", DDIMSampler(schedule: cosine, inferenceSteps: 10)),
            ("ddim.linear.eta0.5.eps.clip", DDIMSampler(schedule: linear, inferenceSteps: 10, eta: 0.5)),
            ("ddpm.linear.eps.clip", DDPMSampler(schedule: linear, inferenceSteps: 10)),
            ("ddpm.linear.v.noclip", DDPMSampler(schedule: linear, inferenceSteps: 10, prediction: .v, clipSample: false)),
        ]
        let c = F.tensor("loop.c")
        let noises = F.tensor("loop.noise").chunk(10, dim: 0).map { $0.reshape(c.shape) }
        for (name, sampler) in loops {
            let expected = F.tensor("loop.\(name)").chunk(11, dim: 0).map { $0.reshape(c.shape) }
            var x = F.tensor("loop.x_T")
            for (i, t) in sampler.timesteps.enumerated() {
                let output = 0.1 * x + Float(1 + Double(t) / 1000) * c
                x = sampler.step(output, index: i, sample: x, noise: sampler.isStochastic ? noises[i] : nil)
                assertAllClose(x, expected[i + 1], atol: 1e-5, rtol: 1e-5, "\(name) after step \(i) (t = \(t))")
            }
        }
    }

    func testDDPMLastStepUsesNoNoise() {
        let sampler = DDPMSampler(schedule: schedules["linear"]!, inferenceSteps: 20)
        let sample = F.tensor("step.sample"), output = F.tensor("step.model_output")
        XCTAssertEqual(sampler.timesteps.last, 0)
        let withNoise = sampler.step(output, index: 19, sample: sample, noise: F.tensor("step.noise"))
        XCTAssertEqual(sampler.step(output, index: 19, sample: sample, noise: nil).toArray(), withNoise.toArray())
    }

    func testDDIMWithZeroEtaIsDeterministic() {
        let sampler = DDIMSampler(schedule: schedules["cosine"]!, inferenceSteps: 25)
        XCTAssertFalse(sampler.isStochastic)
        let sample = F.tensor("step.sample"), output = F.tensor("step.model_output")
        let plain = sampler.step(output, index: 3, sample: sample, noise: nil).toArray()
        XCTAssertEqual(sampler.step(output, index: 3, sample: sample, noise: F.tensor("step.noise")).toArray(), plain,
                       "eta = 0 ignores the noise")
        let model: (Tensor, Int) -> Tensor = { x, t in 0.3 * x + Float(t) / 2000 }
        let a = sampleDiffusion(sampler, shape: [2, 3, 4], generator: RandomGenerator(seed: 5), model: model)
        let b = sampleDiffusion(sampler, shape: [2, 3, 4], generator: RandomGenerator(seed: 5), model: model)
        XCTAssertEqual(a.toArray(), b.toArray())
        XCTAssertEqual(a.shape, [2, 3, 4])
        // The last DDIM step returns the clipped x̂0.
        XCTAssertTrue(a.toArray().allSatisfy { abs($0) <= 1 })
    }

    func testSampleDiffusionIsReproducibleAndFollowsItsDrawOrder() {
        let sampler = DDIMSampler(schedule: schedules["linear"]!, inferenceSteps: 8, eta: 0.5, prediction: .v)
        let shape = [2, 5]
        var visited: [Int] = []
        let model: (Tensor, Int) -> Tensor = { x, t in
            XCTAssertFalse(Autograd.isEnabled, "sampleDiffusion runs without a tape")
            visited.append(t)
            return -0.2 * x + Float(t) / 1000
        }
        let a = sampleDiffusion(sampler, shape: shape, generator: RandomGenerator(seed: 21), model: model)
        XCTAssertEqual(visited, sampler.timesteps)
        let b = sampleDiffusion(sampler, shape: shape, generator: RandomGenerator(seed: 21), model: model)
        XCTAssertEqual(a.toArray(), b.toArray())
        let other = sampleDiffusion(sampler, shape: shape, generator: RandomGenerator(seed: 22), model: model)
        XCTAssertNotEqual(a.toArray(), other.toArray())

        // x_T first, then one noise draw per step after the model call.
        let generator = RandomGenerator(seed: 21)
        var x = Tensor.randn(shape, generator: generator)
        for (i, t) in sampler.timesteps.enumerated() {
            let output = -0.2 * x + Float(t) / 1000
            x = sampler.step(output, index: i, sample: x, noise: Tensor.randn(shape, generator: generator))
        }
        XCTAssertEqual(a.toArray(), x.toArray())

        let ddpm = DDPMSampler(schedule: schedules["cosine"]!, inferenceSteps: 10)
        let c = sampleDiffusion(ddpm, shape: shape, generator: RandomGenerator(seed: 3)) { x, _ in 0.5 * x }
        let d = sampleDiffusion(ddpm, shape: shape, generator: RandomGenerator(seed: 3)) { x, _ in 0.5 * x }
        XCTAssertEqual(c.toArray(), d.toArray())
    }

    func testClassifierFreeGuidance() {
        let generator = RandomGenerator(seed: 9)
        let conditional = Tensor.randn([2, 3, 4], generator: generator), unconditional = Tensor.randn([2, 3, 4], generator: generator)
        XCTAssertEqual(classifierFreeGuidance(conditional: conditional, unconditional: unconditional, scale: 1).toArray(),
                       conditional.toArray())
        XCTAssertEqual(classifierFreeGuidance(conditional: conditional, unconditional: unconditional, scale: 0).toArray(),
                       unconditional.toArray())
        let guided = classifierFreeGuidance(conditional: conditional, unconditional: unconditional, scale: 4)
        assertAllClose(guided, unconditional + 4 * (conditional - unconditional), atol: 1e-5, rtol: 1e-5, "scale 4")
        let check = gradientCheck([conditional, unconditional]) {
            classifierFreeGuidance(conditional: $0[0], unconditional: $0[1], scale: 2.5)
        }
        XCTAssertTrue(check.passed, "\(check)")
    }
}
