import Foundation
import PlinthData
import PlinthModels
import PlinthRecipes
import XCTest

final class RecipeTests: XCTestCase {
    static let recipes = Assets.root.appendingPathComponent("recipes")

    func testShippedRecipesParseAndMatchTheirPresets() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.recipes.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertEqual(Set(names), ["fashion-mnist.yaml", "tuxpaint.yaml", "asterisk.yaml"])
        for name in names {
            let recipe = try Recipe.load(contentsOf: Self.recipes.appendingPathComponent(name)).recipe
            XCTAssertNoThrow(try ModelInputs(recipe: recipe), name)
        }
    }

    func testErrorsNameTheFileAndField() throws {
        let text = try String(contentsOf: Self.recipes.appendingPathComponent("fashion-mnist.yaml"), encoding: .utf8)
        func error(_ yaml: String) -> String {
            do { _ = try Recipe.parse(yaml, file: "r.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(error(text.replacingOccurrences(of: "batch_size:", with: "batchsize:"))
            .contains("field 'train.batchsize' unknown key 'batchsize'"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "  learning_rate: 0.001\n", with: ""))
            .contains("recipe 'r.yaml': field 'train.learning_rate' is missing"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "{a: image, b: text}", with: "{a: image, b: audio}"))
            .contains("needs a audio tower"))
        XCTAssertTrue(error(text.replacingOccurrences(of: "patch_size: 4", with: "patch_size: 5"))
            .contains("field 'model.vision.patch_size'"))
    }

    func testModelMustMatchTheTokenizer() throws {
        var recipe = try Recipe.load(contentsOf: Self.recipes.appendingPathComponent("fashion-mnist.yaml")).recipe
        recipe.model.text!.vocabSize = 1000
        XCTAssertThrowsError(try ModelInputs(recipe: recipe)) { XCTAssertTrue("\($0)".contains("model.text")) }
    }
}
