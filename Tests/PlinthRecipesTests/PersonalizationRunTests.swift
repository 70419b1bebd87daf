import Foundation
import PlinthAdapters
import PlinthData
import PlinthNN
import PlinthObjectives
import PlinthRecipes
import XCTest

/// Textual inversion on real models: only the new rows change, and the learned
/// file works in retrieval (contrastive) and generation (diffusion).
final class PersonalizationRunTests: ShippedRecipeRun {
    func examples(_ names: [String]) -> [ManifestRecord] {
        names.map { ManifestRecord(id: $0, image: Assets.samples.appendingPathComponent("\($0).png").path, split: .train) }
    }

    /// Contrastive (PALAVRA): every other row of the table is restored after each step,
    /// the new vector moves away from its start, and `--embeds` makes the token usable.
    func testContrastiveTokenOnTheShippedModel() throws {
        let personalizer = try Personalizer(modelFile: Assets.defaultModel)
        let table = personalizer.whole.model.text!.tokenEmbedding.weight.copy()
        let options = PersonalizationOptions(objective: .contrastive, token: "<my-cow>", initWord: "animal", steps: 5,
                                             negatives: ["owl"])
        var losses: [Float] = []
        let learned = try personalizer.learn(examples: examples(["cow", "bear"]), field: .image, options: options) { losses.append($1) }
        XCTAssertEqual(losses.count, 5)
        XCTAssertLessThan(losses.last!, losses.first!)
        let after = personalizer.whole.model.text!.tokenEmbedding.weight
        XCTAssertEqual(after.narrow(0, 0, table.shape[0]).toArray(), table.toArray(), "every other row is restored")
        let start = try personalizer.inputs.tokenizer!.encode("animal")
        XCTAssertEqual(learned.entries.map(\.token), ["<my-cow>"])
        XCTAssertNotEqual(learned.entries[0].vectors, table.indexSelect(dim: 0, indices: start).mean(dim: 0).toArray())
        XCTAssertEqual(learned.metadata["objective"], "contrastive")

        let url = output.appendingPathComponent("learned_embeds.safetensors")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try learned.save(to: url)
        let embedder = try Embedder(modelFile: Assets.defaultModel).installing(LearnedEmbeddings.load(url))
        XCTAssertEqual(try embedder.embed(texts: ["a photo of a <my-cow>"]).shape, [1, 128])
    }

    /// A concept given as sounds learns the same way, against the sounds' embeddings.
    func testContrastiveTokenFromSounds() throws {
        let sounds = ["cow", "bear"].map { ManifestRecord(id: $0, audio: Assets.samples.appendingPathComponent("\($0).ogg").path, split: .train) }
        let options = PersonalizationOptions(objective: .contrastive, token: "<my-moo>", initWord: "animal", steps: 3)
        var losses: [Float] = []
        let learned = try Personalizer(modelFile: Assets.defaultModel).learn(examples: sounds, field: .audio, options: options) {
            losses.append($1)
        }
        XCTAssertEqual(learned.entries[0].count, 1)
        XCTAssertLessThan(losses.last!, losses.first!)
    }

    /// Diffusion (Gal et al.): learns through a frozen denoiser; the generator takes the token.
    func testDiffusionTokenThroughTheDenoiser() throws {
        var (recipe, text) = try self.recipe("fashion-mnist-diffusion", steps: 1, records: 16, evalRecords: 4)
        recipe.diffusion!.denoiser.layers = 1
        let model = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train().model!
        let personalizer = try Personalizer(modelFile: model)
        let options = PersonalizationOptions(objective: .diffusion, token: "<my-shoe>", initWord: "sneaker", vectors: 2, steps: 2,
                                             batchSize: 4)
        let learned = try personalizer.learn(examples: examples(["cow", "owl", "frog"]), field: .image, options: options)
        XCTAssertEqual(learned.entries[0].count, 2)
        XCTAssertThrowsError(try personalizer.learn(examples: examples(["cow"]), field: .audio, options: options))
        let generator = try ImageGenerator(modelFile: model).installing(learned)
        let images = try generator.generate(conditions: generator.conditions(prompts: ["a photo of a <my-shoe>"]), count: 1,
                                            options: SamplingOptions(steps: 2))
        XCTAssertEqual(images.shape, [1, 1, 28, 28])
    }
}
