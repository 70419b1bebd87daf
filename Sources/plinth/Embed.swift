import ArgumentParser
import Foundation
import Plinth

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed texts, images and sounds into the joint space.",
        discussion: """
            With -o, writes an embedding index (safetensors) that `plinth search` reads; without it, \
            prints one JSON line per item: {"id": ..., "embedding": [...]}. Folders are walked for \
            png/jpg and wav/ogg/flac files; a NAME.txt beside a file gives its caption.
            """)

    @Argument(help: "Image and sound files or folders.") var paths: [String] = []
    @Option(name: .customLong("text"), help: "A text to embed (repeatable).") var texts: [String] = []
    @Option(help: "A JSONL manifest to embed instead of files (with --field).") var manifest: String?
    @Option(help: "The manifest field to embed: image, audio, speech or text.") var field: Field?
    @Option(help: "Only manifest records of this split (train, val, test).") var split: Split?
    @Option(name: .shortAndLong, help: "Write an index file here.") var output: String?
    @Option(help: "Model file (default: the shipped model).") var model: String?

    func run() throws {
        let embedder = try Embedder(modelFile: model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultModel)
        var ids: [String] = [], items: [EmbeddingIndex.ItemMetadata] = [], parts: [Tensor] = []
        if let manifest {
            guard let field else { throw ValidationError("--manifest needs --field (image, audio, speech or text)") }
            let records = try Manifest.read(from: URL(fileURLWithPath: manifest))
                .filter { ($0.split == split || split == nil) && $0.has([field]) }
            parts.append(try embedder.embed(records: records, field: field))
            ids += records.map(\.id)
            items += records.map { r in
                EmbeddingIndex.ItemMetadata(modality: field.modality.rawValue, path: r.value(field), caption: r.text)
            }
        }
        let files = try MediaFiles.collect(paths)
        if !files.isEmpty {
            parts.append(try embedder.embed(files: files))
            ids += files
            items += files.map(MediaFiles.metadata(of:))
        }
        if !texts.isEmpty {
            parts.append(try embedder.embed(texts: texts))
            ids += texts
            items += texts.map { EmbeddingIndex.ItemMetadata(modality: "text", caption: $0) }
        }
        guard !parts.isEmpty else { throw ValidationError("nothing to embed: give files, --text or --manifest") }
        let vectors = Tensor.concat(parts, dim: 0)                                       // [N, E]
        guard let output else {
            for (i, id) in ids.enumerated() {
                let row = vectors.narrow(0, i, 1).toArray().map { String(format: "%.6g", $0) }.joined(separator: ", ")
                let quoted = String(decoding: try JSONEncoder().encode(id), as: UTF8.self)
                print("{\"id\": \(quoted), \"embedding\": [\(row)]}")
            }
            return
        }
        let index = try EmbeddingIndex(vectors: vectors, ids: ids, items: items, model: embedder.name)
        try index.save(to: URL(fileURLWithPath: output))
        print("wrote \(index.count) embeddings of width \(index.dimension) to \(output)")
    }
}

extension Field: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}
