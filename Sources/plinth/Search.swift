import ArgumentParser
import Foundation
import Plinth

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the items of an embedding index nearest to text, image or audio queries.",
        discussion: "Make the index with `plinth embed FILES... -o index.safetensors`. Queries are embedded in batches; scores are cosine similarities.")

    @Option(help: "The index file from `plinth embed -o`.") var index: String
    @Option(name: .customLong("text"), help: "A text query (repeatable).") var texts: [String] = []
    @Argument(help: "Image or sound files to use as queries.") var files: [String] = []
    @Option(name: .shortAndLong, help: "Results per query.") var k = 5
    @Option(help: "Only return items of this modality: image, audio or text.") var target: Modality?
    @Option(help: "Model file (default: the shipped model).") var model: String?
    @Option(help: "Learned token vectors from `plinth personalize` (learned_embeds.safetensors).") var embeds: String?

    func run() throws {
        guard !texts.isEmpty || !files.isEmpty else { throw ValidationError("give --text queries or query files") }
        let embedder = try loadEmbedder(model, embeds: embeds)
        let index = try EmbeddingIndex.load(from: URL(fileURLWithPath: self.index))
        let queries = try MediaFiles.collect(files)
        var parts: [Tensor] = []
        if !texts.isEmpty { parts.append(try embedder.embed(texts: texts)) }
        if !queries.isEmpty { parts.append(try embedder.embed(files: queries)) }
        let results = index.search(Tensor.concat(parts, dim: 0), k: k, modality: target?.rawValue)
        for (query, hits) in zip(texts.map { "\"\($0)\"" } + queries, results) {
            print(query)
            for hit in hits {
                let caption = index.items[hit.index].caption.map { "  \($0)" } ?? ""
                print(String(format: "  %.3f  ", hit.score) + hit.id + caption)
            }
        }
    }
}

extension Modality: ExpressibleByArgument {}
