import Foundation
import PlinthModels
import PlinthRecipes
import XCTest

/// A test case that runs shipped recipes shrunk to a few steps of batch 16,
/// each into a fresh temporary output directory.
class ShippedRecipeRun: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-run-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: output) }

    /// recipes/NAME.yaml with `steps` steps, a checkpoint every 2, at most `records` training and `evalRecords` eval records.
    func recipe(_ name: String, steps: Int, records: Int, evalRecords: Int) throws -> (Recipe, String) {
        var (recipe, text) = try Recipe.load(contentsOf: RecipeTests.recipes.appendingPathComponent("\(name).yaml"))
        recipe.train.batchSize = 16
        recipe.train.steps = steps
        recipe.train.warmupSteps = 1
        recipe.train.checkpointEvery = 2
        recipe.data.limit = records
        recipe.eval.limit = evalRecords
        return (recipe, text)
    }

    /// The records of `directory`'s metrics.jsonl, in order.
    func metrics(in directory: URL) throws -> [[String: Any]] {
        try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// The recipe with a width-32 model, `limit` records, `steps` steps.
    func tiny(_ name: String, steps: Int, limit: Int = 64) throws -> (Recipe, String) {
        var (recipe, text) = try self.recipe(name, steps: steps, records: limit, evalRecords: limit)
        recipe.model.embedDim = 16
        recipe.model.shared = SharedConfig(layers: 1, width: 32, heads: 2)
        recipe.model.vision = recipe.model.vision.map { VisionConfig(imageSize: $0.imageSize, patchSize: 8, width: 32, layers: 0, heads: 2) }
        recipe.model.audio = recipe.model.audio.map {
            AudioConfig(melBins: $0.melBins, frames: $0.frames, patchSize: 16, patchStride: 16, width: 32, layers: 0, heads: 2)
        }
        recipe.model.text = recipe.model.text.map { TextConfig(vocabSize: $0.vocabSize, contextLength: $0.contextLength, width: 32, layers: 0, heads: 2) }
        return (recipe, text)
    }
}
