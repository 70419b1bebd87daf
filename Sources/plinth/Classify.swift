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
        let scale = Foundation.exp(embedder.model.logitScale.item())
        for path in try MediaFiles.collect(files) {
            let field = MediaFiles.field(of: path)!
            let prompts = templates.isEmpty ? (field == .image ? ["a photo of a {}.", "a {}."] : ["the sound of a {}.", "a {}."]) : templates
            let classifier = try ZeroShotClassifier(classNames: names, templates: prompts) { try embedder.embed(texts: $0) }
            let probabilities = classifier.logits(try embedFiles([path], with: embedder), scale: scale).softmax(dim: -1).toArray()
            print(path)
            for (name, p) in zip(names, probabilities).sorted(by: { $0.1 > $1.1 }) {
                print(String(format: "  %5.1f%%  ", 100 * p) + name)
            }
        }
    }
}
