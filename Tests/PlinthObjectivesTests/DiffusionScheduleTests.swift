import PlinthNN
import PlinthObjectives
import PlinthTestSupport
import XCTest

/// NoiseSchedule against diffusers' DDPMScheduler (betas, alphas_cumprod, add_noise, get_velocity).
final class DiffusionScheduleTests: XCTestCase {
    typealias F = DiffusionFixture
    let schedules: [(String, NoiseSchedule)] = [("linear", NoiseSchedule(kind: .linear)), ("cosine", NoiseSchedule(kind: .cosine))]

    func testSchedulesMatchDiffusers() {
        for (name, schedule) in schedules {
            XCTAssertEqual(schedule.steps, 1000)
            // betas: one Float32 rounding of the same real number (torch.linspace rounds its own way).
            assertAllClose(schedule.betas.map(Float.init), F.floats("schedule.\(name).betas"), atol: 0, rtol: 2e-7, "\(name) betas")
            assertAllClose(schedule.alphasCumprod.map(Float.init), F.floats("schedule.\(name).alphas_cumprod"),
                           atol: 0, rtol: 5e-7, "\(name) alphas_cumprod")
        }
        // The cosine betas come from the same Double expression as diffusers, so they are identical.
        XCTAssertEqual(NoiseSchedule(kind: .cosine).alphasCumprod.map(Float.init), F.floats("schedule.cosine.alphas_cumprod"))
    }

    func testAlphasCumprodDecreasesInsideUnitInterval() {
        for schedule in schedules.map(\.1) + [NoiseSchedule(kind: .linear, steps: 50, betaStart: 1e-3, betaEnd: 0.05),
                                              NoiseSchedule(kind: .cosine, steps: 64)] {
            let a = schedule.alphasCumprod
            XCTAssertEqual(a.count, schedule.steps)
            XCTAssertTrue(a.allSatisfy { $0 > 0 && $0 < 1 }, "\(schedule.kind)")
            XCTAssertTrue(zip(a, a.dropFirst()).allSatisfy { $1 < $0 }, "\(schedule.kind) not strictly decreasing")
            XCTAssertTrue(schedule.betas.allSatisfy { $0 > 0 && $0 <= Double(Float(0.999)) })
        }
        let linear = NoiseSchedule(kind: .linear)
        XCTAssertEqual(linear.betas.first!, Double(Float(1e-4)))
        XCTAssertEqual(linear.betas.last!, Double(Float(0.02)))
        XCTAssertEqual(NoiseSchedule(kind: .cosine).betas.last!, Double(Float(0.999)), "cosine betas are capped at 0.999")
        XCTAssertEqual(linear, NoiseSchedule(kind: .linear, steps: 1000))
        XCTAssertNotEqual(linear, NoiseSchedule(kind: .linear, steps: 1000, betaEnd: 0.03))
        XCTAssertEqual(NoiseSchedule.Kind(rawValue: "cosine"), .cosine)
    }

    func testAddNoiseAndVelocityMatchDiffusers() {
        let x0 = F.tensor("forward.x0"), noise = F.tensor("forward.noise"), timesteps = F.ints("forward.timesteps")
        XCTAssertEqual(timesteps, [0, 17, 500, 999])
        for (name, schedule) in schedules {
            assertAllClose(schedule.addNoise(x0, noise: noise, timesteps: timesteps), F.tensor("forward.\(name).add_noise"),
                           atol: 1e-6, rtol: 1e-6, "\(name) add_noise")
            assertAllClose(schedule.velocity(x0, noise: noise, timesteps: timesteps), F.tensor("forward.\(name).velocity"),
                           atol: 1e-6, rtol: 1e-6, "\(name) velocity")
        }
    }

    func testTargetIsNoiseOrVelocity() {
        let x0 = F.tensor("forward.x0"), noise = F.tensor("forward.noise"), timesteps = F.ints("forward.timesteps")
        let schedule = NoiseSchedule(kind: .linear)
        XCTAssertEqual(schedule.target(.epsilon, x0: x0, noise: noise, timesteps: timesteps).toArray(), noise.toArray())
        XCTAssertEqual(schedule.target(.v, x0: x0, noise: noise, timesteps: timesteps).toArray(),
                       schedule.velocity(x0, noise: noise, timesteps: timesteps).toArray())
        XCTAssertEqual(Prediction(rawValue: "v"), .v)
    }

    /// x0 = sqrt(ᾱ) x_t - sqrt(1 - ᾱ) v and ε = sqrt(ᾱ) v + sqrt(1 - ᾱ) x_t (the v-parameterization is a rotation).
    func testVelocityRotatesSampleAndNoise() {
        let x0 = F.tensor("forward.x0"), noise = F.tensor("forward.noise"), timesteps = [3, 100, 640, 998]
        let schedule = NoiseSchedule(kind: .cosine)
        let xt = schedule.addNoise(x0, noise: noise, timesteps: timesteps)
        let v = schedule.velocity(x0, noise: noise, timesteps: timesteps)
        let a = Tensor(timesteps.map { Float(schedule.alphasCumprod[$0]) }, shape: [4, 1, 1, 1])
        assertAllClose(a.sqrt() * xt - (1 - a).sqrt() * v, x0, atol: 1e-5, rtol: 1e-5, "x0 from (x_t, v)")
        assertAllClose(a.sqrt() * v + (1 - a).sqrt() * xt, noise, atol: 1e-5, rtol: 1e-5, "noise from (x_t, v)")
    }

    func testAddNoiseAndVelocityGradientCheck() {
        let generator = RandomGenerator(seed: 11)
        let x0 = Tensor.randn([3, 2, 4], generator: generator), noise = Tensor.randn([3, 2, 4], generator: generator)
        let schedule = NoiseSchedule(kind: .linear)
        let noisy = gradientCheck([x0, noise]) { schedule.addNoise($0[0], noise: $0[1], timesteps: [10, 400, 990]) }
        XCTAssertTrue(noisy.passed, "addNoise: \(noisy)")
        let velocity = gradientCheck([x0, noise]) { schedule.velocity($0[0], noise: $0[1], timesteps: [0, 250, 999]) }
        XCTAssertTrue(velocity.passed, "velocity: \(velocity)")
    }
}
