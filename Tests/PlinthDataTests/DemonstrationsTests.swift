import Foundation
@testable import PlinthData
import PlinthNN
import XCTest

/// `plinth demos`' folder: recording, the file round trip, errors that name the
/// file, and the behaviour-cloning batches built from it.
final class DemonstrationsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-demos-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func record(_ task: String = "reach", episodes: Int = 3, noise: Float = 0.3) throws -> Demonstrations {
        try DemoRecorder(task: task, imageSize: 16, episodes: episodes, seed: 7, noise: noise).record()
    }

    func testRecordingIsDeterministicAndRoundTrips() throws {
        let demos = try record()
        XCTAssertEqual(demos.episodes.count, 3)
        XCTAssertEqual(demos.episodes.map(\.start), [0, demos.episodes[0].length, demos.episodes[0].length + demos.episodes[1].length])
        XCTAssertEqual(demos.frames.count, demos.stepCount * 16 * 16 * 3)
        XCTAssertEqual(demos.actions.count, demos.stepCount * 2)
        XCTAssertTrue(demos.episodes.allSatisfy { !$0.instruction.isEmpty })
        XCTAssertEqual(try record().actions, demos.actions, "the same seed records the same episodes")
        XCTAssertNotEqual(try record(noise: 0).frames, demos.frames, "noise changes the visited states")

        try demos.save(to: folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["episodes.jsonl", "frames.idx", "steps.safetensors"])
        let back = try Demonstrations.load(from: folder)
        XCTAssertEqual(back.frames, demos.frames)
        XCTAssertEqual(back.states, demos.states)
        XCTAssertEqual(back.actions, demos.actions)
        XCTAssertEqual(back.episodes, demos.episodes)
        XCTAssertEqual(try SafetensorsFile(contentsOf: folder.appendingPathComponent("steps.safetensors")).metadata["task"], "reach")

        try record("cartpole", episodes: 1).save(to: folder)
        XCTAssertEqual(try Demonstrations.load(from: folder).task, "cartpole", "a save replaces the folder whole")
    }

    func testEveryVariantRecordsEachLayoutUnderEachInstruction() throws {
        let demos = try DemoRecorder(task: "reach", imageSize: 16, episodes: 6, seed: 7, noise: 0.3, everyVariant: true).record()
        XCTAssertEqual(demos.episodes.map(\.variant), [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(Set(demos.episodes.map(\.seed)), [DemoRecorder.episodeSeed(7, 0), DemoRecorder.episodeSeed(7, 1)])
        XCTAssertEqual(Set(demos.episodes[0..<3].map(\.instruction)).count, 3, "three objects, three instructions")
        let firstFrames = demos.episodes[0..<3].map { e in demos.frames[(e.start * 768)..<(e.start * 768 + 768)] }
        XCTAssertTrue(firstFrames.allSatisfy { $0 == firstFrames[0] }, "one layout")
        XCTAssertNotEqual(demos.actions[2 * demos.episodes[0].start], demos.actions[2 * demos.episodes[1].start])
    }

    func testBadFoldersNameTheFile() throws {
        try record().save(to: folder)
        let episodes = folder.appendingPathComponent("episodes.jsonl")
        var lines = try String(contentsOf: episodes, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.removeFirst()
        try (lines.joined(separator: "\n") + "\n").write(to: episodes, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Demonstrations.load(from: folder)) { error in
            XCTAssertTrue("\(error)".contains("episodes.jsonl") && "\(error)".contains("line 1"), "\(error)")
        }
        XCTAssertThrowsError(try Demonstrations.load(from: folder.appendingPathComponent("missing"))) { error in
            XCTAssertTrue("\(error)".contains("plinth demos"), "\(error)")
        }
        XCTAssertThrowsError(try ControlTasks.make("juggle", imageSize: 16)) { error in
            XCTAssertTrue("\(error)".contains("juggle") && "\(error)".contains("cartpole"), "\(error)")
        }
    }

    func testLoaderGivesFramesInstructionsStatesAndMaskedChunks() throws {
        let demos = try record()
        let loader = try DemoLoader(demos: demos, horizon: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], tokenizer: nil,
                                    batchSize: 4, seed: 1, shift: 2)
        XCTAssertEqual(loader.batchesPerEpoch, demos.stepCount / 4)
        let batch = try XCTUnwrap(try loader.stream(epoch: 0, startingAt: 0).next())
        XCTAssertEqual(batch.image?.shape, [4, 3, 16, 16])
        XCTAssertTrue(batch.image!.toArray().allSatisfy { abs($0) <= 1 })
        XCTAssertEqual(batch.targets["state"]?.shape, [4, 2])
        XCTAssertEqual(batch.targets["action"]?.shape, [4, 3, 2])
        XCTAssertEqual(batch.captions?.count, 4)
        XCTAssertEqual(try loader.stream(epoch: 0, startingAt: 0).next()?.targets["action"]?.toArray(),
                       batch.targets["action"]?.toArray(), "the same epoch gives the same batches")

        // The last step of an episode: its chunk repeats its action, masked after the first.
        let episode = demos.episodes[0], last = episode.length - 1
        let all = try DemoLoader(demos: demos, horizon: 3, mean: [0, 0, 0], std: [1, 1, 1], tokenizer: nil,
                                 batchSize: demos.stepCount, seed: 1)
        let whole = try XCTUnwrap(try all.stream(epoch: 0, startingAt: 0).next())
        let row = try XCTUnwrap(whole.records.firstIndex { $0.id == "episode 0 step \(last)" })
        XCTAssertEqual(whole.targets["action_mask"]!.narrow(0, row, 1).toArray(), [1, 0, 0])
        let chunk = whole.targets["action"]!.narrow(0, row, 1).toArray()
        XCTAssertEqual(Array(chunk[0..<2]), Array(demos.actions[last * 2..<last * 2 + 2]))
        XCTAssertEqual(Array(chunk[4..<6]), Array(chunk[0..<2]))
        XCTAssertEqual(whole.image!.narrow(0, row, 1).toArray(), DemoLoader.images([demos.frames[last * 768..<(last + 1) * 768]],
                                                                                   size: 16, mean: [0, 0, 0], std: [1, 1, 1]).toArray())
        let sharded = try DemoLoader(demos: demos, horizon: 1, mean: [0, 0, 0], std: [1, 1, 1], tokenizer: nil,
                                     batchSize: 4, shard: Shard(rank: 1, count: 2), seed: 1)
        XCTAssertEqual(try sharded.stream(epoch: 0, startingAt: 0).next()?.count, 2)
    }
}
