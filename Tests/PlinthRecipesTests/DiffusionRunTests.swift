import Foundation
import PlinthData
import PlinthNN
import PlinthObjectives
import PlinthRecipes
import XCTest

/// The joint contrastive + diffusion recipe, shrunk to a few steps on real
/// data: exact resume (the denoiser, its average and the run's draws), the
/// model file's denoiser, sampling from it (28x28: the padding cut off) and the
/// generation evaluation, conditioned on text and on speech.
final class DiffusionRunTests: ShippedRecipeRun {
    func testJointRecipeTrainsResumesGeneratesAndEvaluates() throws {
        var (recipe, text) = try self.recipe("fashion-mnist-diffusion", steps: 4, records: 64, evalRecords: 40)
        recipe.diffusion!.denoiser.layers = 2
        let straight = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        let reference = try SafetensorsFile(contentsOf: straight.model!).tensors()
        XCTAssertTrue(reference.keys.contains("diffusion.blocks.1.adaLN_modulation.1.weight"))
        XCTAssertTrue(reference.keys.contains("visual.conv1.weight"))
        let metrics = try String(contentsOf: RunDirectory(url: output).metricsURL, encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"diffusion_loss\""))

        try FileManager.default.removeItem(at: output)
        _ = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train(stoppingAfter: 2)
        let checkpoint = try XCTUnwrap(try RunDirectory(url: output).latestCheckpoint())
        let names = try SafetensorsFile(contentsOf: checkpoint).names
        XCTAssertTrue(names.contains { $0.hasPrefix("model.diffusion_ema.") }, "the average is checkpointed")
        let resumed = try Trainer(recipe: recipe, recipeText: text, output: output, resume: true).train()
        let weights = try SafetensorsFile(contentsOf: resumed.model!).tensors()
        for (key, t) in reference { XCTAssertEqual(weights[key]!.toArray(), t.toArray(), key) }

        let generator = try ImageGenerator(modelFile: resumed.model!)
        let conditions = try generator.conditions(prompts: ["a sneaker", "a bag"])
        XCTAssertEqual(conditions.shape, [2, 128])
        let options = SamplingOptions(sampler: .ddim, steps: 3, guidance: 3, seed: 5)
        let images = try generator.generate(conditions: conditions, count: 3, options: options)
        XCTAssertEqual(images.shape, [3, 1, 28, 28])
        XCTAssertTrue(images.toArray().allSatisfy { $0.isFinite && abs($0) <= 1 }, "DDIM clips x0 to [-1, 1]")
        XCTAssertEqual(try generator.generate(conditions: conditions, count: 3, options: options).toArray(), images.toArray(),
                       "DDIM at eta 0 is deterministic for a seed")
        let ddpm = try generator.generate(conditions: nil, count: 2,
                                          options: SamplingOptions(sampler: .ddpm, steps: 2, guidance: 0, seed: 5))
        XCTAssertEqual(ddpm.shape, [2, 1, 28, 28])
        XCTAssertThrowsError(try generator.generate(conditions: nil, count: 1, options: SamplingOptions(steps: 1001)))
        XCTAssertEqual(ImageGenerator.displayable(images).shape, [3, 3, 28, 28])

        var section = try XCTUnwrap(recipe.eval.generation)
        (section.classifier, section.perClass, section.steps) = (resumed.model!.path, 2, 2)
        let report = try Evaluator.evaluateGeneration(recipe, section: section, generator: generator,
                                                      dataDirectory: Datasets.defaultDirectory, split: .test, limit: 40)
        XCTAssertEqual(report.classes.count, 10)
        XCTAssertEqual(report.results.map(\.guidance), [0, 3, 0, 3])
        XCTAssertEqual(report.results.map(\.condition), [.text, .text, .speech, .speech])
        for r in report.results {
            XCTAssertTrue((0...1).contains(r.classMatch))
            XCTAssertEqual(r.classMatchPerClass.count, 10)
            XCTAssertTrue(r.frechetDistance.isFinite && r.frechetDistance >= 0)
        }
        XCTAssertEqual(report.realCount, 20)

        var personalization = try XCTUnwrap(recipe.eval.personalization)
        personalization.concepts.removeLast(4)
        (personalization.examples, personalization.steps, personalization.heldOut, personalization.samples) = (2, 2, 3, 2)
        recipe.eval.generation = section
        let measured = try Evaluator.evaluatePersonalization(recipe, section: personalization, modelFile: resumed.model!,
                                                             embedder: generator.embedder, generator: generator,
                                                             dataDirectory: Datasets.defaultDirectory)
        let concept = try XCTUnwrap(measured.concepts.first)
        XCTAssertEqual(concept.token, "<sneaker>")
        XCTAssertEqual(concept.heldOut, 3)
        XCTAssertEqual(concept.distractors, 27)
        for r in [concept.learned, concept.initializer] { XCTAssertTrue((0...1).contains(r.mrr) && r.r1 <= r.r5) }
        XCTAssertNotNil(concept.generationLearned)
        XCTAssertNotNil(concept.generationInitializer)
    }

    /// On the frozen shipped model only the denoiser trains, conditioned on captions, spoken captions and sounds;
    /// a sound file conditions generation.
    func testFrozenModelDenoiserConditionsOnSounds() throws {
        var (recipe, text) = try self.recipe("tuxpaint-diffusion", steps: 2, records: 32, evalRecords: 4)
        recipe.diffusion!.denoiser.layers = 1
        let summary = try Trainer(recipe: recipe, recipeText: text, output: output, resume: false).train()
        let generator = try ImageGenerator(modelFile: summary.model!)
        XCTAssertEqual(summary.trainableParameters, generator.denoiser.parameterCount)
        let weights = try SafetensorsFile(contentsOf: summary.model!).tensors()
        let shipped = try SafetensorsFile(contentsOf: Assets.defaultModel).tensors()
        for (key, t) in shipped where !key.hasPrefix("caption.") { XCTAssertEqual(weights[key]!.toArray(), t.toArray(), key) }
        let sound = Assets.samples.appendingPathComponent("cow.ogg").path
        let conditions = try generator.conditions(records: [ManifestRecord(id: "cow", audio: sound, split: .test)], field: .audio)
        let images = try generator.generate(conditions: conditions, count: 2, options: SamplingOptions(steps: 2, seed: 1))
        XCTAssertEqual(images.shape, [2, 3, 32, 32])
    }
}
