import ArgumentParser
import Foundation
import Plinth

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Package a finished training run as a shippable model folder.",
        discussion: """
            Writes OUT/model.safetensors (weights in F16 by default, with the model card), \
            OUT/recipe.yaml and OUT/metrics.json from the run directory. assets/model was made this way.
            """)

    @Argument(help: "The run directory (from `plinth train --out`).") var directory: String
    @Option(name: .shortAndLong, help: "The folder to write.") var output: String
    @Flag(help: "Keep F32 weights instead of F16.") var f32 = false

    func run() throws {
        let runDirectory = RunDirectory(url: URL(fileURLWithPath: directory))
        let out = URL(fileURLWithPath: output)
        let whole = try ModelFile.loadWithHeads(runDirectory.finalModelURL), card = whole.card
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let target = out.appendingPathComponent("model.safetensors")
        try ModelFile.save(whole.model, caption: whole.caption, diffusion: whole.diffusion, card: card, to: target,
                           precision: f32 ? .f32 : .f16)
        if let recipe = card.recipe {
            try Data(recipe.utf8).write(to: out.appendingPathComponent("recipe.yaml"), options: .atomic)
        }
        let metrics = runDirectory.url.appendingPathComponent("metrics.json")
        if FileManager.default.fileExists(atPath: metrics.path) {
            try Data(contentsOf: metrics).write(to: out.appendingPathComponent("metrics.json"), options: .atomic)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int) ?? 0
        let parameters = whole.parameterCount
        print("\(card.name): \(parameters) parameters, \(size / 1024) KiB -> \(out.path)")
    }
}
