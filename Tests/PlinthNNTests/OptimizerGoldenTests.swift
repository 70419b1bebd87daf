import PlinthNN
import PlinthTestSupport
import XCTest

/// Optimizers, schedules and clipping against PyTorch
/// (Tests/Fixtures/optim.safetensors, made by scripts/fixtures/gen_optim.py).
final class OptimizerGoldenTests: XCTestCase {
    let file = try! Fixtures.open("optim.safetensors")
    func t(_ key: String) -> Tensor { try! file.tensor(key) }

    func testAdamWWithParameterGroups() {
        let p0 = t("adamw.p0"), p1 = t("adamw.p1")
        let opt = AdamW([ParameterGroup([("p0", p0)], weightDecay: 0.1), ParameterGroup([("p1", p1)], weightDecay: 0)],
                        learningRate: 0.01, betas: (0.9, 0.98), eps: 1e-6)
        for s in 0..<5 {
            p0.grad = t("adamw.g\(s).p0")
            p1.grad = t("adamw.g\(s).p1")
            opt.step()
        }
        XCTAssertLessThanOrEqual(maxAbsDifference(p0, t("adamw.final.p0")), 1e-6)
        XCTAssertLessThanOrEqual(maxAbsDifference(p1, t("adamw.final.p1")), 1e-6)
        let state = opt.stateDict()
        XCTAssertLessThanOrEqual(maxAbsDifference(state["p0.exp_avg"]!, t("adamw.final.exp_avg.p0")), 1e-6)
        XCTAssertLessThanOrEqual(maxAbsDifference(state["p0.exp_avg_sq"]!, t("adamw.final.exp_avg_sq.p0")), 1e-6)
    }

    func testSGDMomentumAndNesterov() {
        for (name, nesterov, decay) in [("sgd_momentum", false, Float(0.01)), ("sgd_nesterov", true, Float(0))] {
            let p = t("\(name).p0")
            let opt = SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: nesterov, weightDecay: decay)
            for s in 0..<4 {
                p.grad = t("\(name).g\(s)")
                opt.step()
            }
            XCTAssertLessThanOrEqual(maxAbsDifference(p, t("\(name).final.p0")), 1e-6, name)
            XCTAssertLessThanOrEqual(maxAbsDifference(opt.stateDict()["0.momentum_buffer"]!, t("\(name).final.momentum_buffer")), 1e-6, name)
        }
    }

    func testWarmupCosineMatchesOpenCLIP() {
        let schedule = WarmupCosineSchedule(base: 0.1, warmup: 3, total: 10)
        let expected = t("cosine.lr").toArray()
        // open_clip's formula is defined up to `total`; past it Plinth holds the minimum.
        for step in 0...10 { XCTAssertEqual(schedule.learningRate(at: step), expected[step], accuracy: 1e-6, "step \(step)") }
        XCTAssertEqual(schedule.learningRate(at: 11), 0)
        XCTAssertEqual(StepSchedule(base: 1, stepSize: 2, gamma: 0.5).learningRate(at: 5), 0.25)
        XCTAssertEqual(ConstantSchedule(0.3).learningRate(at: 100), 0.3)
    }

    func testClipGradNorm() {
        let params = ["a", "b", "c"].map { name -> Tensor in
            let p = Tensor.zeros(t("clip.\(name)").shape)
            p.grad = t("clip.\(name)")
            return p
        }
        XCTAssertEqual(clipGradNorm(params, maxNorm: 1), t("clip.total_norm").item(), accuracy: 1e-4)
        for (p, name) in zip(params, ["a", "b", "c"]) {
            XCTAssertLessThanOrEqual(maxAbsDifference(p.grad!, t("clip.out.\(name)")), 1e-6, name)
        }
    }

    func testEMA() {
        let lin = Linear(2, 1)
        lin.weight.assign(Tensor([1, 1], shape: [1, 2]))
        let ema = EMA(lin, decay: 0.9)
        lin.weight.assign(Tensor([2, 0], shape: [1, 2]))
        ema.update()
        let w = ema.stateDict()["weight"]!.toArray()
        XCTAssertEqual(w[0], 1.1, accuracy: 1e-6)
        XCTAssertEqual(w[1], 0.9, accuracy: 1e-6)
    }
}
