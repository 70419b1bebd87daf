import ArgumentParser
import Foundation
import Plinth

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Zero-shot retrieval with the shipped model on the bundled sample media.",
        discussion: """
            Embeds the pictures and sounds in assets/samples and their captions, then shows the top \
            pictures and sounds for a few text queries, and the top captions for each picture and sound.
            """)

    @Option(help: "Model file (default: the shipped model in assets/model).") var model: String?
    @Option(name: .customLong("query"), help: "A text query (repeatable; default: a few built-in ones).")
    var queries: [String] = []
    @Option(name: .shortAndLong, help: "Results per query.") var k = 3

    func run() throws {
        let modelURL = model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel
        let embedder = try Embedder(modelFile: modelURL)
        let files = try MediaFiles.collect([Assets.samples.path])
        let images = files.filter { MediaFiles.field(of: $0) == .image }, sounds = files.filter { MediaFiles.field(of: $0) == .audio }
        let captions = MediaFiles.captions(of: files)
        print("model: \(embedder.name) (\(modelURL.path))")
        print("samples: \(images.count) pictures, \(sounds.count) sounds, \(captions.count) captions in \(Assets.samples.path)\n")

        let imageIndex = try EmbeddingIndex(vectors: embedder.embed(files: images), ids: images.map(Self.name))
        let soundIndex = try EmbeddingIndex(vectors: embedder.embed(files: sounds), ids: sounds.map(Self.name))
        let captionIndex = try EmbeddingIndex(vectors: embedder.embed(texts: captions), ids: captions)

        let texts = queries.isEmpty ? ["a cow", "a dog", "a duck", "a violin", "an elephant", "a pig"] : queries
        let queryEmbeddings = try embedder.embed(texts: texts)
        print("Text -> pictures and sounds")
        for (i, (pictures, noises)) in zip(imageIndex.search(queryEmbeddings, k: k), soundIndex.search(queryEmbeddings, k: k)).enumerated() {
            print("  \"\(texts[i])\"".padding(toLength: 18, withPad: " ", startingAt: 0)
                  + "pictures: \(Self.format(pictures))   sounds: \(Self.format(noises))")
        }
        for (title, index) in [("Pictures -> captions", imageIndex), ("Sounds -> captions", soundIndex)] {
            print("\n\(title)")
            for (id, hits) in zip(index.ids, captionIndex.search(index.vectors, k: k)) {
                print("  \(id)".padding(toLength: 18, withPad: " ", startingAt: 0)
                      + hits.map { "\"\($0.id)\" \(String(format: "%.2f", $0.score))" }.joined(separator: ", "))
            }
        }
    }

    static func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

    static func format(_ hits: [EmbeddingIndex.Hit]) -> String {
        hits.map { "\($0.id) \(String(format: "%.2f", $0.score))" }.joined(separator: ", ")
    }
}
