import ArgumentParser
import Foundation
import Plinth

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zero-shot classification of images and sounds against labels you name.",
        discussion: """
            Each label becomes prompts through the templates (default: "a photo of a {}." and "a {}." \
            for images, "the sound of a {}." and "a {}." for sounds); a label's weight is the \
            normalized mean of its prompts' embeddings (CLIP). Prints the probability of each label.
            """)

    @Argument(help: "Image or sound files.") var files: [String]
    @Option(help: "Comma-separated labels, e.g. \"cow,dog,violin\".") var labels: String
    @Option(name: .customLong("template"), help: "A prompt template with {} for the label (repeatable).")
    var templates: [String] = []
    @Option(help: "Model file (default: the shipped model).") var model: String?
    @Option(help: "Learned token vectors from `plinth personalize` (learned_embeds.safetensors).") var embeds: String?

    func run() throws {
        let names = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count >= 2 else { throw ValidationError("--labels needs at least two labels") }
        let embedder = try loadEmbedder(model, embeds: embeds)
        for path in try MediaFiles.collect(files) {
            let prompts = templates.isEmpty ? Embedder.defaultTemplates(for: MediaFiles.field(of: path)!) : templates
            let probabilities = try embedder.classify(embedder.embed(files: [path]), labels: names, templates: prompts).toArray()
            print(path)
            for (name, p) in zip(names, probabilities).sorted(by: { $0.1 > $1.1 }) {
                print(String(format: "  %5.1f%%  ", 100 * p) + name)
            }
        }
    }
}
