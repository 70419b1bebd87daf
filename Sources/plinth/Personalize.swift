import ArgumentParser
import Foundation
import Plinth

struct Personalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Teach a model a new word for a concept from a few examples (textual inversion).",
        discussion: """
            Learns the vectors of a new token (e.g. "<my-mug>") from 3 to 5 images or sounds while \
            the model stays frozen, and writes them to a learned_embeds.safetensors file that \
            `generate`, `search` and `classify` load with --embeds. The diffusion objective \
            (Gal et al. 2022) needs a model with a denoiser and teaches prompts with the token to \
            generate the concept; the contrastive one (PALAVRA) teaches "a photo of <my-mug>" to \
            retrieve it, against the initializer word and any --negative words.
            """)

    @Option(help: "A folder (or file) of example images.") var images: [String] = []
    @Option(help: "A folder (or file) of example sounds or spoken clips (contrastive objective).") var audio: [String] = []
    @Option(help: "The new token, lowercase, e.g. \"<my-mug>\".") var token: String
    @Option(name: .customLong("init-word"), help: "A word the token starts from, e.g. \"mug\".") var initWord: String
    @Option(help: "What to learn for: diffusion (generation) or contrastive (retrieval).") var objective: PersonalizationObjective = .diffusion
    @Option(help: "Vectors the token stands for.") var vectors: Int = 1
    @Option(help: "Optimizer steps.") var steps: Int = 300
    @Option(help: "Learning rate.") var lr: Float = 5e-3
    @Option(help: "Prompts per step.") var batch: Int = 8
    @Option(help: "A contrastive negative besides the initializer word (repeatable).") var negative: [String] = []
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Model file (default: the shipped generator for diffusion, the shipped model for contrastive).") var model: String?
    @Option(name: .shortAndLong, help: "Output file.") var output: String = "learned_embeds.safetensors"

    func run() throws {
        guard images.isEmpty != audio.isEmpty else { throw ValidationError("give example --images or --audio (one kind)") }
        let field: Field = images.isEmpty ? .audio : .image
        let files = try MediaFiles.collect(images + audio).filter { MediaFiles.field(of: $0) == field }
        guard !files.isEmpty else { throw ValidationError("no \(field == .image ? "image" : "sound") files in \((images + audio).joined(separator: " "))") }
        let modelURL = model.map { URL(fileURLWithPath: $0) } ?? (objective == .diffusion ? Assets.defaultGenerator : Assets.defaultModel)
        let personalizer = try Personalizer(modelFile: modelURL)
        let examples = files.map { MediaFiles.record($0, as: field, split: .train) }
        let options = PersonalizationOptions(objective: objective, token: token, initWord: initWord, vectors: vectors, steps: steps,
                                             learningRate: lr, batchSize: batch, negatives: negative, seed: seed)
        let progress = ProgressBar(total: steps, unit: "prompts")
        let learned = try personalizer.learn(examples: examples, field: field, options: options) { step, loss in
            progress.update(step: step, items: batch, fields: [("loss", String(format: "%.4f", loss))])
        }
        progress.finish()
        try learned.save(to: URL(fileURLWithPath: output))
        print("\(token): \(vectors) vector\(vectors == 1 ? "" : "s") from \(files.count) examples (\(objective.rawValue)) -> \(output)")
    }
}

extension PersonalizationObjective: ExpressibleByArgument {}
