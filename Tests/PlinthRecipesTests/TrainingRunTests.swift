import Foundation
import PlinthData
import PlinthModels
import PlinthNN
import PlinthRecipes
import XCTest

/// Each shipped recipe, shrunk to a tiny model and a few steps, runs end to end
/// on its real data (manifests are built in the default data directory on first use).
final class TrainingRunTests: ShippedRecipeRun {
    func metricsSteps() throws -> [Int] { try metrics(in: output).map { $0["step"] as! Int } }

    func testFashionMNISTTrainsEvaluatesAndResumesExactly() throws {
        let (recipe, text) = try tiny("fashion-mnist", steps: 4)
        let straight = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        XCTAssertEqual(straight.steps, 4)
        XCTAssertFalse(straight.interrupted)
        XCTAssertTrue(straight.finalLoss.isFinite)
        XCTAssertEqual(try metricsSteps(), [1, 2, 3, 4])
        let reference = try SafetensorsFile(contentsOf: straight.model!).tensors()

        // Two steps, then resume to four: the same weights as the straight run.
        try FileManager.default.removeItem(at: output)
        let first = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train(stoppingAfter: 2)
        XCTAssertTrue(first.interrupted)
        XCTAssertNil(first.model)
        let resumed = try Trainer(recipe: recipe, recipeText: text, output: output, resume: true).train()
        XCTAssertEqual(resumed.steps, 4)
        XCTAssertEqual(try metricsSteps(), [1, 2, 3, 4])
        let weights = try SafetensorsFile(contentsOf: resumed.model!).tensors()
        XCTAssertEqual(Set(weights.keys), Set(reference.keys))
        for (key, t) in reference { XCTAssertEqual(weights[key]!.toArray(), t.toArray(), key) }

        let report = try Evaluator.evaluate(recipe, embedder: Embedder(modelFile: resumed.model!))
        let zeroShot = try XCTUnwrap(report.zeroShot)
        XCTAssertEqual(zeroShot.count, 64)
        XCTAssertEqual(zeroShot.chanceTop1, 0.1, accuracy: 1e-12)
        XCTAssertTrue((0...1).contains(zeroShot.top1) && zeroShot.top5 >= zeroShot.top1)
        XCTAssertEqual(report.retrieval.count, 1)
        XCTAssertEqual(report.retrieval[0].aToB.count, 64)
    }

    func testRunDirectoryRefusesToOverwrite() throws {
        let (recipe, text) = try tiny("fashion-mnist", steps: 1)
        _ = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        XCTAssertThrowsError(try Trainer(recipe: recipe, recipeText: text, output: output, resume: false))
    }

    func testTuxPaintWithOptionalSounds() throws {
        let (recipe, text) = try tiny("tuxpaint", steps: 2, limit: 48)
        let summary = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        XCTAssertEqual(summary.steps, 2)
        XCTAssertTrue(summary.finalLoss.isFinite)
        let report = try Evaluator.evaluate(recipe, embedder: Embedder(modelFile: summary.model!), limit: 16)
        XCTAssertEqual(report.retrieval.map { "\($0.a)-\($0.b)" }, ["image-text", "speech-text", "audio-text", "image-audio"])
    }

    func testAsteriskSpeechText() throws {
        let (recipe, text) = try tiny("asterisk", steps: 2, limit: 32)
        let summary = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        XCTAssertTrue(summary.finalLoss.isFinite)
        let report = try Evaluator.evaluate(recipe, embedder: Embedder(modelFile: summary.model!), limit: 16)
        XCTAssertEqual(report.retrieval[0].countA, 16)
    }
}
