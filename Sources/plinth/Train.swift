import ArgumentParser
import Foundation
import Plinth

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model from a recipe (recipes/*.yaml), then evaluate it.",
        discussion: """
            Writes checkpoints, metrics.jsonl and the final model to the output directory \
            (default: $PLINTH_RUNS or ~/.cache/plinth/runs, then the recipe's name). Ctrl-C stops \
            after the current step with a checkpoint; --resume continues from the latest one.

            Data parallel: `mpirun -np N plinth train RECIPE` trains on N processes, each on 1/N \
            of every batch (train.batch_size must divide by N x train.accumulation). Rank 0 writes \
            the run directory, logs and evaluates; a run resumes with any such N. Give each rank \
            its share of the cores with PLINTH_NUM_THREADS (mpirun -x PLINTH_NUM_THREADS=...).
            """)

    @Argument(help: "The recipe YAML file.") var recipe: String
    @Option(name: .shortAndLong, help: "Output directory of the run.") var out: String?
    @Flag(help: "Continue from the latest checkpoint in the output directory.") var resume = false
    @Option(help: "Override train.steps (for quick runs).") var steps: Int?
    @Option(help: "Data directory for manifests and generated speech (default $PLINTH_DATA or ~/.cache/plinth/data).")
    var data: String?
    @Flag(help: "Skip the evaluation after training.") var noEval = false

    func run() throws {
        let world = try Communicator.world()
        do {
            try train(on: world)
        } catch let error where world != nil {
            // The other ranks cannot see this error: end them rather than leave them waiting.
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            FileHandle.standardError.write(Data("Error (rank \(world!.rank) of \(world!.size)): \(message)\n".utf8))
            world!.abort(code: 1)
        }
        try world?.finalize()
    }

    /// Trains (on this rank of `world`, if given) and, on rank 0, evaluates.
    private func train(on world: Communicator?) throws {
        let isRoot = world?.isRoot ?? true
        var (recipe, text) = try Recipe.load(contentsOf: URL(fileURLWithPath: self.recipe))
        if let steps { recipe.train.steps = steps }
        let output = out.map { URL(fileURLWithPath: $0) } ?? Assets.runsDirectory.appendingPathComponent(recipe.name)
        let dataDirectory = data.map { URL(fileURLWithPath: $0) } ?? Datasets.defaultDirectory
        // Rank 0 builds a missing manifest first; the others then find it (or, on other machines, build their own).
        if isRoot { try prepareData(recipe, in: dataDirectory) }
        try world?.barrier()
        if !isRoot { try prepareData(recipe, in: dataDirectory) }
        let trainer = try Trainer(recipe: recipe, recipeText: text, output: output, dataDirectory: dataDirectory,
                                  resume: resume, communicator: world)
        guard isRoot else {
            _ = try trainer.train()
            return
        }
        print("run: \(output.path)" + (world.map { " (\($0.size) ranks)" } ?? ""))
        let summary = try trainer.train()
        let minutes = String(format: "%.1f", summary.seconds / 60)
        guard let model = summary.model else {
            print("stopped at step \(summary.steps)/\(summary.totalSteps) after \(minutes) min; continue with --resume")
            return
        }
        print("trained \(summary.steps) steps in \(minutes) min, final loss \(String(format: "%.4f", summary.finalLoss)), \(summary.trainableParameters) of \(summary.parameters) parameters trained")
        print("model: \(model.path)")
        guard !noEval else { return }
        if recipe.policy != nil {
            try evaluatePolicy(model, output: output)
            return
        }
        let report = try evaluateModel(model, recipe: recipe, dataDirectory: dataDirectory)
        try EvalOutput.write(report, trainingSeconds: summary.seconds, to: output.appendingPathComponent("metrics.json"))
        EvalOutput.print(report)
    }

    /// Closed-loop rollouts of a trained policy, as `plinth act` runs them; the report goes to rollouts.json.
    private func evaluatePolicy(_ model: URL, output: URL) throws {
        let runner = try PolicyRunner(contentsOf: model, seed: 1000)
        let evaluation = PolicyEvaluation(task: runner.policy.config.task, episodes: 100, seed: 1000)
        let bar = ProgressBar(total: evaluation.episodes, label: "episode", unit: "episodes")
        let report = try evaluation.run(.policy(runner), name: model.path, imageSize: runner.imageSize) { done, _ in
            bar.update(step: done, items: 1)
        }
        bar.finish()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: output.appendingPathComponent("rollouts.json"), options: .atomic)
        print(String(format: "closed loop on %@, 100 unseen layouts: success %.1f%% (95%% CI %.1f-%.1f%%), mean length %.1f steps; more with `plinth act`",
                     evaluation.task, 100 * report.successRate, 100 * report.interval[0], 100 * report.interval[1], report.meanLength))
    }
}
