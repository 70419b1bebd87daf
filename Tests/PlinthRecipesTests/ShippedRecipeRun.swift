import Foundation
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
}
