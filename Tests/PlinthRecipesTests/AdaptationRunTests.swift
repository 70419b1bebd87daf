import Foundation
import PlinthData
import PlinthModels
import PlinthNN
import PlinthRecipes
import XCTest

/// The adaptation recipes, shrunk to a few steps on real data: LoRA on the
/// shipped model, and locked-text tuning on the imported MiniLM.
final class AdaptationRunTests: ShippedRecipeRun {
    /// Only the adapters train; the saved adapters merged onto the shipped model
    /// give the final model; a resumed run ends bit-identical to a straight one.
    func testLoRATrainsAdaptersOnlyAndResumesExactly() throws {
        let (recipe, text) = try self.recipe("fashion-mnist-lora", steps: 4, records: 64, evalRecords: 300)
        let straight = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        // rank 8 x (in + out) for in_proj, out_proj, c_fc and c_proj of each of the 5 blocks
        XCTAssertEqual(straight.trainableParameters, 5 * 8 * ((128 + 384) + (128 + 128) + (128 + 512) + (512 + 128)))
        let reference = try SafetensorsFile(contentsOf: straight.model!).tensors()
        let loraURL = straight.model!.deletingLastPathComponent().appendingPathComponent("lora.safetensors")

        let (base, _) = try ModelFile.load(Assets.defaultModel)
        let adapters = try LoRAAdapters(attachingTo: base, config: recipe.lora!)
        XCTAssertEqual(straight.trainableParameters, adapters.parameterCount)
        try adapters.load(from: loraURL)
        adapters.mergeAll()
        for (key, t) in base.stateDict() {
            XCTAssertLessThan(zip(t.toArray(), reference[key]!.toArray()).map { abs($0 - $1) }.max() ?? 0, 1e-6, key)
        }
        let (untouched, _) = try ModelFile.load(Assets.defaultModel)
        let changed = untouched.stateDict().filter { $0.value.toArray() != reference[$0.key]!.toArray() }
        // 4 weights in each of the vision, text and 2 shared blocks; the audio block's adapters
        // get no gradient from image-text pairs, so B stays 0 and merging leaves its weights alone.
        XCTAssertEqual(changed.count, 16, "exactly the adapted weights differ from the shipped model")

        try FileManager.default.removeItem(at: output)
        _ = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train(stoppingAfter: 2)
        // The frozen base comes back from `init`: a checkpoint holds the adapters and their optimizer state.
        let checkpoint = try XCTUnwrap(try RunDirectory(url: output).latestCheckpoint())
        XCTAssertTrue(try SafetensorsFile(contentsOf: checkpoint).names.allSatisfy { !$0.hasPrefix("model.") || $0.hasPrefix("model.lora.") })
        let resumed = try Trainer(recipe: recipe, recipeText: text, output: output, resume: true).train()
        let weights = try SafetensorsFile(contentsOf: resumed.model!).tensors()
        for (key, t) in reference { XCTAssertEqual(weights[key]!.toArray(), t.toArray(), key) }
    }

    /// The locked MiniLM stays bit-identical, held-out classes are left out of
    /// training, and the evaluation reports them against chance.
    func testLockedTextKeepsTheEncoderAndReportsUnseenClasses() throws {
        try MiniLMImportTests.requireModel()
        var (recipe, text) = try self.recipe("fashion-mnist-locked", steps: 3, records: 64, evalRecords: 300)
        recipe.model.shared = SharedConfig(layers: 1, width: 32, heads: 2)
        recipe.model.vision = VisionConfig(imageSize: 32, patchSize: 8, width: 32, layers: 0, heads: 2)
        recipe.data.limit = nil
        let training = try recipe.records(split: .train, fields: [.image], dataDirectory: Datasets.defaultDirectory, limit: nil)
        XCTAssertFalse(training.contains { ["sneaker", "pullover"].contains($0.labelName ?? "") })
        XCTAssertEqual(Set(training.compactMap(\.labelName)).count, 8)
        recipe.data.limit = 64

        let summary = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        let trained = try SafetensorsFile(contentsOf: summary.model!).tensors()
        let source = try ModelImport(source: MiniLMImportTests.source).read().tensors
        for (key, t) in source where key.hasPrefix("bert.") { XCTAssertEqual(trained[key]!.toArray(), t.toArray(), key) }
        XCTAssertLessThan(summary.trainableParameters, 200_000)
        // The locked encoder comes back from `init` on resume, so checkpoints leave it out.
        let checkpoint = try XCTUnwrap(try RunDirectory(url: output).latestCheckpoint())
        let names = try SafetensorsFile(contentsOf: checkpoint).names
        XCTAssertFalse(names.contains { $0.hasPrefix("model.bert.") })
        XCTAssertTrue(names.contains("model.visual.proj"))

        let report = try Evaluator.evaluate(recipe, embedder: Embedder(modelFile: summary.model!))
        let unseen = try XCTUnwrap(report.zeroShot?.unseen)
        XCTAssertEqual(unseen.classes, ["pullover", "sneaker"])
        XCTAssertEqual(unseen.chanceAmongUnseen, 1.0 / 2, accuracy: 1e-12)
        XCTAssertGreaterThan(unseen.count, 0)
    }
}
