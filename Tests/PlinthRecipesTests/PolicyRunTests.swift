import Foundation
import PlinthAdapters
import PlinthData
import PlinthNN
import PlinthRecipes
import XCTest

/// Behaviour cloning through the common trainer on a tiny model: demonstrations
/// recorded on first use, each head trained a few steps, exact resume, the
/// statistics inside the model file, and closed-loop rollouts from it.
final class PolicyRunTests: ShippedRecipeRun {
    var data: URL { output.appendingPathComponent("data") }

    func recipe(_ head: PolicyConfig.Head) throws -> (Recipe, String) {
        let text = """
            name: reach-tiny
            model:
              embed_dim: 16
              shared: {layers: 1, width: 32, heads: 2}
              vision: {image_size: 64, patch_size: 16, width: 32, layers: 0, heads: 2}
              text: {vocab_size: 1867, context_length: 32, width: 32, layers: 0, heads: 2}
            data: {image: sim, text: small}
            policy: {task: reach, episodes: 4, head: \(head.rawValue), horizon: \(head == .discrete ? 1 : 2), hidden: 32, blocks: 1, diffusion_steps: 4}
            train: {batch_size: 8, steps: 4, learning_rate: 0.001, warmup_steps: 1, seed: 0, checkpoint_every: 2}
            """
        return (try Recipe.parse(text), text)
    }

    func testEveryHeadTrainsSavesItsStatisticsAndActsInClosedLoop() throws {
        for head in PolicyConfig.Head.allCases {
            let (recipe, text) = try self.recipe(head)
            let run = output.appendingPathComponent(head.rawValue)
            let summary = try Trainer(recipe: recipe, recipeText: text, output: run, dataDirectory: data, resume: false).train()
            let file = try XCTUnwrap(summary.model)
            XCTAssertTrue(try String(contentsOf: RunDirectory(url: run).metricsURL, encoding: .utf8).contains("\"policy_loss\""))

            let demos = try Demonstrations.load(from: PolicySection.defaultFolder(task: "reach", episodes: 4, seed: 0, noise: 0.3,
                                                                                   everyVariant: false, imageSize: 64, dataDirectory: data))
            let fitted = ActionNormalization(stateDimension: 2, actionDimension: 2)
            fitted.fit(actions: demos.actions, states: demos.states)
            let saved = try SafetensorsFile(contentsOf: file).tensors()
            XCTAssertEqual(saved["policy.normalization.action_low"]?.toArray(), fitted.actionLow.toArray())
            XCTAssertEqual(saved["policy.normalization.state_std"]?.toArray(), fitted.stateStd.toArray())
            XCTAssertEqual(try ModelFile.card(at: file).policy?.head, head)

            let runner = try PolicyRunner(contentsOf: file, seed: 1)
            let strip = output.appendingPathComponent("\(head.rawValue).png").path
            let report = try PolicyEvaluation(task: "reach", episodes: 2, seed: 1000, contrast: true)
                .run(.policy(runner), name: head.rawValue, imageSize: runner.imageSize,
                     filmstrip: { try PolicyEvaluation.writeFilmstrip($0, to: strip) })
            XCTAssertEqual(report.episodes.count, 4)
            XCTAssertEqual(report.episodes.map(\.variant), [0, 1, 0, 1])
            XCTAssertNotEqual(report.episodes[0].instruction, report.episodes[1].instruction, "two instructions on one layout")
            XCTAssertTrue(report.episodes.allSatisfy { (1...50).contains($0.length) })
            XCTAssertNotNil(report.bothInstructionsRate)
            XCTAssertTrue(FileManager.default.fileExists(atPath: strip))
        }
    }

    func testResumeReproducesTheStraightRun() throws {
        let (recipe, text) = try self.recipe(.diffusion)
        let straight = try Trainer(recipe: recipe, recipeText: text, output: output.appendingPathComponent("a"), dataDirectory: data,
                                   resume: false).train()
        let resumedRun = output.appendingPathComponent("b")
        _ = try Trainer(recipe: recipe, recipeText: text, output: resumedRun, dataDirectory: data, resume: false).train(stoppingAfter: 2)
        let resumed = try Trainer(recipe: recipe, recipeText: text, output: resumedRun, dataDirectory: data, resume: true).train()
        let a = try SafetensorsFile(contentsOf: straight.model!).tensors(), b = try SafetensorsFile(contentsOf: resumed.model!).tensors()
        for (key, t) in a where key.hasPrefix("policy.") || key.hasPrefix("visual.") { XCTAssertEqual(b[key]?.toArray(), t.toArray(), key) }
    }

    func testBaselinesAndRecipeErrors() throws {
        let expert = try PolicyEvaluation(task: "reach", episodes: 10, seed: 1000).run(.expert, name: "expert", imageSize: 16)
        XCTAssertGreaterThanOrEqual(expert.successRate, 0.9)
        let random = try PolicyEvaluation(task: "reach", episodes: 10, seed: 1000).run(.random, name: "random", imageSize: 16)
        XCTAssertLessThan(random.successRate, expert.successRate)
        XCTAssertEqual(PolicyEvaluation.wilson(0, 10)[0], 0)
        XCTAssertEqual(PolicyEvaluation.wilson(5, 10)[0], 0.2366, accuracy: 1e-4)
        XCTAssertEqual(PolicyEvaluation.wilson(5, 10)[1], 0.7634, accuracy: 1e-4)

        let text = try recipe(.chunk).1
        XCTAssertThrowsError(try Recipe.parse(text.replacingOccurrences(of: "task: reach", with: "task: juggle"))) { error in
            XCTAssertTrue("\(error)".contains("policy.task"), "\(error)")
        }
        XCTAssertThrowsError(try Recipe.parse(text.replacingOccurrences(of: "horizon: 2", with: "horizon: 0"))) { error in
            XCTAssertTrue("\(error)".contains("policy.horizon"), "\(error)")
        }
    }
}
