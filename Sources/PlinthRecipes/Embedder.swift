import Foundation
import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN

// Legend: N items, E joint width.

/// Turns texts, files and manifest records into L2-normalized joint-space
/// embeddings with a trained model, in eval mode and without gradients.
public struct Embedder {
    public let model: MultimodalModel
    public private(set) var inputs: ModelInputs
    /// The model's name (its card's), recorded in the indexes it makes.
    public let name: String
    public var batchSize = 128

    public init(model: MultimodalModel, inputs: ModelInputs, name: String = "") {
        self.model = model
        self.inputs = inputs
        self.name = name
        model.eval()
    }

    /// A model file with the presets its card names.
    public init(modelFile url: URL) throws {
        let (model, card) = try ModelFile.load(url)
        self.init(model: model, inputs: try ModelInputs(card: card, directory: url.deletingLastPathComponent()), name: card.name)
    }

    /// This embedder with the tokens of `embeddings` (textual inversion) added to its
    /// model and tokenizer, so texts that name them use the learned vectors.
    public func installing(_ embeddings: LearnedEmbeddings) throws -> Embedder {
        guard let clip = inputs.tokenizer as? CLIPTokenizer else {
            throw EmbedderError("learned tokens need a model with a BPE text tokenizer")
        }
        var copy = self
        copy.inputs.tokenizer = try embeddings.install(into: model, tokenizer: clip)
        return copy
    }

    /// texts -> [N, E]. Batches are cut from the texts sorted by token count
    /// (as sentence-transformers does), so a tower that trims padding does little
    /// padded work; rows come back in input order.
    public func embed(texts: [String]) throws -> Tensor {
        guard let tokenizer = inputs.tokenizer else { throw EmbedderError("this model file has no text tower or names no tokenizer") }
        let rows = try tokenizer.tokenizeBatch(texts)
        let order = texts.indices.sorted { rows.attentionMask[$0].reduce(0, +) > rows.attentionMask[$1].reduce(0, +) }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let chunk = order[start..<min(start + batchSize, order.count)]
            let ids = chunk.flatMap { rows.ids[$0] }
            parts.append(withNoGrad { model.encode(text: ids, batch: chunk.count).l2Normalized() })
        }
        guard !parts.isEmpty else { throw EmbedderError("no texts to embed") }
        var position = [Int](repeating: 0, count: order.count)
        for (i, original) in order.enumerated() { position[original] = i }
        let sorted = parts.count == 1 ? parts[0] : Tensor.concat(parts, dim: 0)       // [N, E] in sorted order
        return sorted.indexSelect(dim: 0, indices: position)
    }

    /// A field of every record -> [N, E], in record order.
    public func embed(records: [ManifestRecord], field: Field) throws -> Tensor {
        if field == .text { return try embed(texts: records.map { $0.text ?? "" }) }
        if let missing = inputs.missingPreset(for: field) { throw EmbedderError(missing) }
        let loader = try inputs.evaluationLoader(records: records, field: field, batchSize: batchSize)
        var parts: [Tensor] = []
        let batches = loader.batches(epoch: 0)
        while let batch = try batches.next() {
            parts.append(withNoGrad { model.embed(field, of: batch)!.l2Normalized() })
        }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts, dim: 0)
    }
}

/// A request the model cannot serve (a missing tower or preset).
public struct EmbedderError: Error, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = message }
}
