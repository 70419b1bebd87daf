import Foundation
import PlinthAdapters
import PlinthData
import PlinthModels
import PlinthRecipes
import PlinthTensor

/// What the service embeds: a text, or a file already turned into model input.
public enum Query: Sendable {
    case text(String)
    /// [1, ...] from ``ModelInputs/input(data:field:name:audioLimits:)``.
    case input(Tensor, Field)
}

/// The model and index behind `plinth serve`, shared by every request.
///
/// The actor owns the one copy of the model and runs one embedding or search at
/// a time: each already uses every core, and the BLAS thread count is process
/// wide. Requests decode and preprocess their uploads in their own tasks, with
/// the Sendable `inputs`, before they queue here.
public actor SearchService {
    public nonisolated let index: EmbeddingIndex
    public nonisolated let inputs: ModelInputs
    public nonisolated let modelName: String
    public nonisolated let dimension: Int
    /// Index items per modality ("image", "audio", "text").
    public nonisolated let itemCounts: [String: Int]
    private let embedder: Embedder

    /// The model in `modelFile` with the index in `indexFile`, or, without one, an
    /// index of every image and sound under `samples` and their distinct captions
    /// (a NAME.txt beside a file); sample ids are paths relative to `samples`.
    ///
    /// - Throws: ``ServiceError`` when the index was made by another model or has
    ///   another width; the model file's and the index file's own errors.
    public init(modelFile: URL, indexFile: URL?, samples: URL) throws {
        let embedder = try Embedder(modelFile: modelFile)
        let width = embedder.model.config.embedDim
        if let indexFile {
            let index = try EmbeddingIndex.load(from: indexFile)
            guard index.model.isEmpty || index.model == embedder.name else {
                throw ServiceError("\(indexFile.path): the index was made with the model '\(index.model)', not '\(embedder.name)' (\(modelFile.path))")
            }
            guard index.dimension == width else {
                throw ServiceError("\(indexFile.path): the index holds \(index.dimension)-wide embeddings; the model makes \(width)-wide ones")
            }
            self.index = index
        } else {
            self.index = try Self.sampleIndex(samples, embedder: embedder)
        }
        self.embedder = embedder
        inputs = embedder.inputs
        modelName = embedder.name
        dimension = width
        itemCounts = Dictionary(grouping: index.items, by: { $0.modality ?? "unknown" }).mapValues(\.count)
    }

    private static func sampleIndex(_ folder: URL, embedder: Embedder) throws -> EmbeddingIndex {
        let files = try MediaFiles.collect([folder.path])
        let captions = MediaFiles.captions(of: files)
        guard !files.isEmpty || !captions.isEmpty else { throw ServiceError("\(folder.path): no images or sounds to index") }
        let root = folder.standardizedFileURL.path + "/"
        let ids = files.map { $0.hasPrefix(root) ? String($0.dropFirst(root.count)) : $0 } + captions
        let items = files.map(MediaFiles.metadata(of:)) + captions.map { EmbeddingIndex.ItemMetadata(modality: "text", caption: $0) }
        let vectors = Tensor.concat([try embedder.embed(files: files), try embedder.embed(texts: captions)], dim: 0)  // [N, E]
        return try EmbeddingIndex(vectors: vectors, ids: ids, items: items, model: embedder.name)
    }

    /// query -> [1, E], L2-normalized.
    public func embed(_ query: Query) throws -> Tensor {
        switch query {
        case .text(let text): try embedder.embed(texts: [text])
        case .input(let input, let field): embedder.embed(input: input, field: field)
        }
    }

    /// The `k` items nearest to `query`, among items of `modality` only when given.
    public func search(_ query: Query, k: Int, modality: Modality?) throws -> [EmbeddingIndex.Hit] {
        index.search(try embed(query), k: k, modality: modality?.rawValue)[0]
    }

    /// Zero-shot probabilities of `labels` for a file query, with the default prompts for its field.
    public func classify(_ input: Tensor, field: Field, labels: [String]) throws -> [Float] {
        try embedder.classify(embedder.embed(input: input, field: field), labels: labels,
                              templates: Embedder.defaultTemplates(for: field)).toArray()
    }
}

/// A model and index that cannot be served together, or an empty sample folder.
public struct ServiceError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
    init(_ message: String) { description = message }
}
