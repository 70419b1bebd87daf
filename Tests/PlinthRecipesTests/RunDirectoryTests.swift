import Foundation
import PlinthRecipes
import XCTest

/// RunDirectory: the layout, refusing to reuse a non-empty directory, checkpoint
/// names, `latest` as a real file, pruning, and the recipe copy.
final class RunDirectoryTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-run-\(UUID())")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// Stands in for a checkpoint writer: the file's text names its step.
    private func saveFakeCheckpoint(_ run: RunDirectory, step: Int) throws {
        try Data("checkpoint \(step)".utf8).write(to: run.checkpointURL(step: step), options: .atomic)
    }

    private func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    func testLayout() {
        let run = RunDirectory(url: URL(fileURLWithPath: "/runs/a"))
        XCTAssertEqual(run.checkpointURL(step: 123).path, "/runs/a/checkpoints/step-000123.safetensors")
        XCTAssertEqual(run.checkpointURL(step: 1_234_567).lastPathComponent, "step-1234567.safetensors")
        XCTAssertEqual(run.latestCheckpointURL.path, "/runs/a/checkpoints/latest.safetensors")
        XCTAssertEqual(run.metricsURL.path, "/runs/a/metrics.jsonl")
        XCTAssertEqual(run.recipeURL.path, "/runs/a/recipe.yaml")
        XCTAssertEqual(run.finalModelURL.path, "/runs/a/final/model.safetensors")
    }

    func testCheckpointNamesParse() {
        XCTAssertEqual(RunDirectory.step(ofCheckpointNamed: "step-000123.safetensors"), 123)
        XCTAssertEqual(RunDirectory.step(ofCheckpointNamed: "step-1234567.safetensors"), 1_234_567)
        for name in ["latest.safetensors", "step-.safetensors", "step-12a.safetensors", "step-000001.safetensors.tmp",
                     ".step-000001.safetensors.tmp-1-2", "step-٣.safetensors"] {
            XCTAssertNil(RunDirectory.step(ofCheckpointNamed: name), name)
        }
    }

    func testCreateMakesTheLayoutAndAcceptsItsOwnEmptyFolders() throws {
        let run = try RunDirectory(root, resuming: false)
        for folder in [root!, run.checkpointsURL, run.finalModelURL.deletingLastPathComponent()] {
            var isDirectory: ObjCBool = false
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) && isDirectory.boolValue, folder.path)
        }
        XCTAssertEqual(try RunDirectory(root, resuming: false), run, "a run that saved nothing can be started again")
    }

    func testCreateRefusesNonEmptyDirectoryUnlessResuming() throws {
        let run = try RunDirectory(root, resuming: false)
        try run.writeRecipe("model: tiny\n")
        XCTAssertThrowsError(try RunDirectory(root, resuming: false)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(root.path) && text.contains("not empty") && text.contains("recipe.yaml"), text)
        }
        XCTAssertEqual(try RunDirectory(root, resuming: true), run)
        XCTAssertEqual(try run.readRecipe(), "model: tiny\n", "resuming keeps what is there")

        let file = root.appendingPathComponent("recipe.yaml")
        XCTAssertThrowsError(try RunDirectory(file, resuming: true)) { error in
            XCTAssertTrue("\(error)".contains(file.path) && "\(error)".contains("not a directory"), "\(error)")
        }
    }

    func testLatestIsAnAtomicRealFileAndPruningKeepsIt() throws {
        let run = try RunDirectory(root, resuming: false)
        XCTAssertNil(try run.latestCheckpoint())
        for step in stride(from: 100, through: 500, by: 100) {
            try saveFakeCheckpoint(run, step: step)
            try run.publishLatest(step: step)
            XCTAssertEqual(try text(run.latestCheckpointURL), "checkpoint \(step)")
        }
        try run.publishLatest(step: 500)  // again: latest is already that file
        let type = try FileManager.default.attributesOfItem(atPath: run.latestCheckpointURL.path)[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeRegular, "latest is a hard link or a copy, never a symlink")
        XCTAssertEqual(try run.latestCheckpoint(), run.checkpointURL(step: 500))

        let removed = try run.keepLast(2)
        XCTAssertEqual(removed, [100, 200, 300].map(run.checkpointURL(step:)))
        XCTAssertEqual(try run.checkpointSteps(), [400, 500])
        XCTAssertEqual(try run.keepLast(2), [])

        try run.keepLast(0)
        XCTAssertEqual(try run.checkpointSteps(), [])
        XCTAssertEqual(try run.latestCheckpoint(), run.latestCheckpointURL, "latest survives pruning")
        XCTAssertEqual(try text(run.latestCheckpointURL), "checkpoint 500")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run.checkpointsURL.path)
        XCTAssertEqual(leftovers, ["latest.safetensors"], "no temporary files left behind")
    }

    func testSaveCheckpointWritesPublishesAndPrunes() throws {
        struct WriterFailed: Error {}
        let run = try RunDirectory(root, resuming: false)
        for step in stride(from: 100, through: 500, by: 100) {
            let url = try run.saveCheckpoint(step: step, keepLast: 2) { url in
                XCTAssertEqual(url, run.checkpointURL(step: step))
                try Data("checkpoint \(step)".utf8).write(to: url, options: .atomic)
            }
            XCTAssertEqual(url, run.checkpointURL(step: step))
        }
        XCTAssertEqual(try run.checkpointSteps(), [400, 500])
        XCTAssertEqual(try text(run.latestCheckpointURL), "checkpoint 500")

        XCTAssertThrowsError(try run.saveCheckpoint(step: 600, keepLast: 1) { _ in throw WriterFailed() }) { error in
            XCTAssertTrue(error is WriterFailed, "\(error)")
        }
        XCTAssertEqual(try run.checkpointSteps(), [400, 500], "a failed save prunes nothing")
        XCTAssertEqual(try text(run.latestCheckpointURL), "checkpoint 500")
    }

    func testPublishingAMissingCheckpointNamesItAndKeepsLatest() throws {
        let run = try RunDirectory(root, resuming: false)
        try saveFakeCheckpoint(run, step: 1)
        try run.publishLatest(step: 1)
        XCTAssertThrowsError(try run.publishLatest(step: 7)) { error in
            XCTAssertTrue("\(error)".contains("step-000007.safetensors"), "\(error)")
        }
        XCTAssertEqual(try text(run.latestCheckpointURL), "checkpoint 1")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run.checkpointsURL.path).sorted(),
                       ["latest.safetensors", "step-000001.safetensors"])
    }

    func testRecipeRoundTrip() throws {
        let run = try RunDirectory(root, resuming: false)
        XCTAssertNil(try run.readRecipe())
        try run.writeRecipe("recipe: a\n")
        try run.writeRecipe("recipe: b\nsteps: 10\n")
        XCTAssertEqual(try run.readRecipe(), "recipe: b\nsteps: 10\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted(), ["checkpoints", "final", "recipe.yaml"])
    }
}
