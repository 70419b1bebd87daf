@testable import PlinthData
import PlinthTensor
import XCTest

/// The reach and push tabletop tasks: layouts, instructions, the expert and baselines.
final class TabletopTaskTests: XCTestCase {
    /// Runs one episode under `policy`; returns whether it succeeded.
    private func run(_ task: TabletopTask, seed: UInt64, policy: (TabletopTask) -> [Float]) -> Bool {
        _ = task.reset(seed: seed, variant: nil, phrasing: .training)
        while true {
            let t = task.step(policy(task))
            if t.done { return t.success }
        }
    }

    func testLayoutsFollowTheRules() {
        let task = TabletopTask(mode: .push, imageSize: 32)
        for seed in UInt64(0)..<200 {
            _ = task.reset(seed: seed)
            let objects = task.scene.objects
            XCTAssertEqual(objects.count, 3)
            XCTAssertEqual(Set(objects.map { "\($0.color) \($0.shape)" }).count, 3, "seed \(seed): distinct pairs")
            for o in objects {
                let others = objects.filter { $0.color != o.color || $0.shape != o.shape }
                XCTAssertTrue(others.contains { $0.color == o.color } || others.contains { $0.shape == o.shape },
                              "seed \(seed): every object shares its colour or its shape with another")
            }
            for (i, a) in objects.enumerated() {
                XCTAssertLessThanOrEqual(max(abs(a.position.x), abs(a.position.y)), 0.75)
                XCTAssertGreaterThanOrEqual(TabletopScene.distance(a.position, task.scene.agent), 0.3)
                for b in objects[(i + 1)...] { XCTAssertGreaterThanOrEqual(TabletopScene.distance(a.position, b.position), 0.4) }
            }
            XCTAssertGreaterThanOrEqual(task.edge.distance(from: objects[task.target].position), 0.45, "seed \(seed)")
            let object = objects[task.target]
            XCTAssertTrue(task.instruction.hasPrefix("push the \(object.color.rawValue) \(object.shape.rawValue) to the \(task.edge.rawValue) edge"),
                          task.instruction)
        }
    }

    func testEpisodesAreDeterministicForASeed() {
        for mode in TabletopTask.Mode.allCases {
            let a = TabletopTask(mode: mode, imageSize: 32), b = TabletopTask(mode: mode, imageSize: 32)
            let oa = a.reset(seed: 42, variant: nil, phrasing: .training)
            let ob = b.reset(seed: 42, variant: nil, phrasing: .training)
            XCTAssertEqual(oa.image, ob.image)
            XCTAssertEqual(oa.state, ob.state)
            XCTAssertEqual(oa.instruction, ob.instruction)
            for _ in 0..<10 {
                let ta = a.step(a.expertAction()), tb = b.step(b.expertAction())
                XCTAssertEqual(ta.observation.image, tb.observation.image)
                XCTAssertEqual(ta.observation.state, tb.observation.state)
                if ta.done { break }
            }
            XCTAssertNotEqual(a.reset(seed: 43).image, oa.image)
        }
    }

    func testVariantKeepsTheLayoutAndChangesTheInstruction() {
        for mode in TabletopTask.Mode.allCases {
            let task = TabletopTask(mode: mode, imageSize: 32)
            for seed in UInt64(0)..<20 {
                var scenes: [TabletopScene.Object] = [], images: [RGBImage] = [], instructions: Set<String> = []
                for variant in 0..<task.variantCount {
                    let o = task.reset(seed: seed, variant: variant, phrasing: .training)
                    XCTAssertEqual(task.variant, variant)
                    scenes += task.scene.objects
                    images.append(o.image)
                    instructions.insert(o.instruction)
                }
                XCTAssertEqual(instructions.count, task.variantCount, "\(mode) seed \(seed): \(instructions)")
                XCTAssertEqual(Set(images.map(\.pixels)).count, 1)
                XCTAssertEqual(Array(scenes[0..<3]), Array(scenes[3..<6]))
                XCTAssertEqual(Array(scenes[0..<3]), Array(scenes[6..<9]))
            }
        }
    }

    func testPhrasingsUseTheirTemplates() {
        let reach = TabletopTask(mode: .reach, imageSize: 16), push = TabletopTask(mode: .push, imageSize: 16)
        var training: Set<String> = []
        for seed in UInt64(0)..<60 {
            training.insert(String(reach.reset(seed: seed).instruction.split(separator: " ")[0]))
            XCTAssertTrue(reach.reset(seed: seed, variant: nil, phrasing: .heldOut).instruction.hasPrefix("go to the "))
            XCTAssertTrue(push.reset(seed: seed, variant: nil, phrasing: .heldOut).instruction.hasPrefix("move the "))
        }
        XCTAssertEqual(training, ["reach", "move", "touch"])
    }

    func testRenderingPlacesObjectsWithYUp() {
        let task = TabletopTask(mode: .reach, imageSize: 64)
        let image = task.reset(seed: 7).image
        XCTAssertEqual([image.width, image.height], [64, 64])
        for object in task.scene.objects where TabletopScene.distance(object.position, task.scene.agent) > 0.25 {
            let column = Int((object.position.x + 1) * 32), row = Int((1 - object.position.y) * 32)
            XCTAssertEqual(image[column, row], object.color.rgb, "\(object)")
        }
        let agent = task.scene.agent
        XCTAssertEqual(image[Int((agent.x + 1) * 32), Int((1 - agent.y) * 32)], TabletopTask.agentColor)
    }

    func testExpertSucceedsOnReachAndPush() {
        for mode in TabletopTask.Mode.allCases {
            let task = TabletopTask(mode: mode, imageSize: 16)
            let successes = (UInt64(0)..<100).filter { run(task, seed: $0) { $0.expertAction() } }.count
            XCTAssertGreaterThanOrEqual(successes, 95, "\(mode)")
        }
    }

    func testZeroAndRandomPoliciesMostlyFail() {
        let rng = RandomGenerator(seed: 1)
        for mode in TabletopTask.Mode.allCases {
            let task = TabletopTask(mode: mode, imageSize: 16)
            let zero = (UInt64(0)..<100).filter { run(task, seed: $0) { _ in [0, 0] } }.count
            XCTAssertEqual(zero, 0, "\(mode)")
            let random = (UInt64(0)..<100).filter { run(task, seed: $0) { _ in [2 * rng.nextFloat() - 1, 2 * rng.nextFloat() - 1] } }.count
            XCTAssertLessThan(random, 30, "\(mode)")
        }
    }

    func testActionsAreClippedAndEverythingStaysOnTheTable() {
        let reach = TabletopTask(mode: .reach, imageSize: 16)
        let start = reach.reset(seed: 3).state
        let moved = reach.step([5, .nan]).observation.state
        XCTAssertEqual(moved[0], min(start[0] + 0.08, 0.93), accuracy: 1e-6)
        XCTAssertEqual(moved[1], start[1])
        let push = TabletopTask(mode: .push, imageSize: 16)
        for seed in UInt64(0)..<20 {
            _ = push.reset(seed: seed)
            while !push.step([1, 0.3]).done {}
            XCTAssertLessThanOrEqual(max(abs(push.scene.agent.x), abs(push.scene.agent.y)), 0.93 + 1e-6)
            for object in push.scene.objects {
                XCTAssertLessThanOrEqual(max(abs(object.position.x), abs(object.position.y)), 0.86 + 1e-6)
            }
        }
    }

    func testUnknownTaskNamesTheTaskAndTheChoices() throws {
        XCTAssertEqual(try ControlTasks.make("push", imageSize: 32).spec.name, "push")
        XCTAssertThrowsError(try ControlTasks.make("fly", imageSize: 32)) { error in
            let e = error as? DataError
            XCTAssertEqual(e?.kind, .invalidArgument)
            XCTAssertTrue(e?.message.contains("'fly'") ?? false, "\(error)")
            XCTAssertTrue(e?.message.contains("reach, push, cartpole") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try ControlTasks.make("reach", imageSize: 0))
    }
}
