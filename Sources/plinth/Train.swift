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
            """)

    @Argument(help: "The recipe YAML file.") var recipe: String
    @Option(name: .shortAndLong, help: "Output directory of the run.") var out: String?
    @Flag(help: "Continue from the latest checkpoint in the output directory.") var resume = false
    @Option(help: "Override train.steps (for quick runs).") var steps: Int?
    @Option(help: "Data directory for manifests and generated speech (default $PLINTH_DATA or ~/.cache/plinth/data).")
    var data: String?
    @Flag(help: "Skip the evaluation after training.") var noEval = false

    func run() throws {
        var (recipe, text) = try Recipe.load(contentsOf: URL(fileURLWithPath: self.recipe))
        if let steps { recipe.train.steps = steps }
        let output = out.map { URL(fileURLWithPath: $0) } ?? Assets.runsDirectory.appendingPathComponent(recipe.name)
        let dataDirectory = data.map { URL(fileURLWithPath: $0) } ?? Datasets.defaultDirectory
        try prepareDataset(recipe.data.dataset, in: dataDirectory)
        print("run: \(output.path)")
        let trainer = try Trainer(recipe: recipe, recipeText: text, output: output, dataDirectory: dataDirectory,
                                  resume: resume)
        let summary = try trainer.train()
        let minutes = String(format: "%.1f", summary.seconds / 60)
        guard let model = summary.model else {
            print("stopped at step \(summary.steps)/\(summary.totalSteps) after \(minutes) min; continue with --resume")
            return
        }
        print("trained \(summary.steps) steps in \(minutes) min, final loss \(String(format: "%.4f", summary.finalLoss)), \(summary.trainableParameters) of \(summary.parameters) parameters trained")
        print("model: \(model.path)")
        guard !noEval else { return }
        let report = try evaluateModel(model, recipe: recipe, dataDirectory: dataDirectory)
        try EvalOutput.write(report, trainingSeconds: summary.seconds, to: output.appendingPathComponent("metrics.json"))
        EvalOutput.print(report)
    }
}
