import Foundation
@testable import PlinthData
import PlinthTensor
import XCTest

/// The cart-pole task: gymnasium's dynamics, the LQR expert and baselines.
final class CartPoleTaskTests: XCTestCase {
    /// Tests/Fixtures/control/cartpole.json, written by scripts/fixtures/gen_control.py.
    private struct Fixture: Decodable {
        struct Episode: Decodable {
            var name: String
            var start: [Double]
            var actions: [Int]
            var states: [[Double]]
            var terminated: [Bool]
        }
        var gymnasium: String
        var episodes: [Episode]
    }

    private static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/control/cartpole.json")

    /// Runs one episode toward `variant` under `policy`; returns the last transition.
    private func run(_ task: CartPoleTask, seed: UInt64, variant: Int, policy: (CartPoleTask) -> [Float]) -> Transition {
        _ = task.reset(seed: seed, variant: variant, phrasing: .training)
        while true {
            let t = task.step(policy(task))
            if t.done { return t }
        }
    }

    func testDynamicsMatchGymnasium() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixture))
        XCTAssertEqual(fixture.gymnasium, "1.0.0")
        XCTAssertGreaterThanOrEqual(fixture.episodes.count, 5)
        let task = CartPoleTask(imageSize: 16)
        for episode in fixture.episodes {
            _ = task.reset(seed: 0)
            task.setState(SIMD4(episode.start))
            for (i, action) in episode.actions.enumerated() {
                let t = task.step([action == 1 ? 1 : -1])
                let expected = episode.states[i]
                for k in 0..<4 {
                    XCTAssertEqual(task.state[k], expected[k], accuracy: 1e-5 * max(abs(expected[k]), 1e-3),
                                   "\(episode.name) step \(i) component \(k)")
                    XCTAssertEqual(t.observation.state[k], Float(task.state[k]))
                }
                XCTAssertEqual(t.failed, episode.terminated[i], "\(episode.name) step \(i)")
                XCTAssertEqual(t.done, episode.terminated[i], "\(episode.name) step \(i)")
            }
        }
        XCTAssertTrue(fixture.episodes.contains { !$0.terminated.last! && $0.states.count >= 100 }, "a long balanced replay")
    }

    func testExpertBalancesAtEveryTarget() {
        let task = CartPoleTask(imageSize: 16)
        for variant in 0..<task.variantCount {
            var successes = 0
            for seed in UInt64(0)..<100 {
                let last = run(task, seed: seed, variant: variant) { $0.expertAction() }
                if last.success { successes += 1 }
                XCTAssertEqual(task.steps, 200)
            }
            XCTAssertGreaterThanOrEqual(successes, 95, "target \(CartPoleTask.targets[variant].name)")
        }
    }

    func testZeroActionFails() {
        let task = CartPoleTask(imageSize: 16)
        for variant in 0..<task.variantCount {
            let successes = (UInt64(0)..<100).filter { run(task, seed: $0, variant: variant) { _ in [0] }.success }.count
            XCTAssertLessThanOrEqual(successes, 5, "target \(CartPoleTask.targets[variant].name)")
        }
    }

    func testResetIsDeterministicAndInstructionsNameTheTarget() {
        let task = CartPoleTask(imageSize: 32)
        let a = task.reset(seed: 9, variant: nil, phrasing: .training)
        let b = task.reset(seed: 9, variant: nil, phrasing: .training)
        XCTAssertEqual(a.state, b.state)
        XCTAssertEqual(a.image, b.image)
        XCTAssertEqual(a.instruction, b.instruction)
        XCTAssertTrue(a.state.allSatisfy { abs($0) <= 0.05 })
        for (variant, word) in ["left", "middle", "right"].enumerated() {
            let o = task.reset(seed: 9, variant: variant, phrasing: .training)
            XCTAssertEqual(o.state, a.state, "the variant keeps the initial state")
            XCTAssertEqual(task.variant, variant)
            XCTAssertTrue(o.instruction.contains(word), o.instruction)
            let heldOut = task.reset(seed: 9, variant: variant, phrasing: .heldOut).instruction
            XCTAssertTrue(heldOut.hasPrefix("hold the pole up") && heldOut.contains(word), heldOut)
        }
    }

    func testRenderingShowsTheCartWhereItIs() {
        let task = CartPoleTask(imageSize: 64)
        _ = task.reset(seed: 0)
        task.setState(SIMD4(1.2375, 0, 0, 0))
        let image = task.observation().image
        // x = 1.2375 is column (x + 2.4) / 4.8 * 64 = 48.5; the cart body (y 0...0.3) spans rows 36...39.
        XCTAssertEqual(image[48, 38], CartPoleTask.cartColor)
        XCTAssertEqual(image[16, 38], CartPoleTask.background)
        // The upright pole above the cart.
        XCTAssertEqual(image[48, 30], CartPoleTask.poleColor)
    }
}
