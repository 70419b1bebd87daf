import Foundation
import PlinthModalities
import PlinthModels
import PlinthNN

// Legend: K vectors per token, D text width.

/// Textual-inversion vectors (Gal et al. 2022) by placeholder token, in
/// diffusers' `learned_embeds.safetensors` layout: one tensor per token, named
/// by the token, [D] for a single vector or [K, D] for several.
public struct LearnedEmbeddings: Sendable {
    public struct Entry: Sendable {
        public var token: String
        public var vectors: [Float]      // [K, D] row-major
        public var width: Int
        public var count: Int { vectors.count / width }

        public init(token: String, vectors: Tensor) {
            precondition(vectors.rank == 2, "LearnedEmbeddings: vectors must be [K, D], got \(vectors.shape)")
            (self.token, self.vectors, width) = (token, vectors.contiguous().toArray(), vectors.shape[1])
        }
    }

    public var entries: [Entry]
    /// Free-form notes saved in the file's metadata (the model, the initializer word, the objective).
    public var metadata: [String: String]

    public init(entries: [Entry], metadata: [String: String] = [:]) { (self.entries, self.metadata) = (entries, metadata) }

    /// At most this many tokens and vectors per token in a file (hostile-size bound).
    public static let maxTokens = 64, maxVectors = 16

    /// Reads a file; errors name the file and the tensor.
    public static func load(_ url: URL) throws -> LearnedEmbeddings {
        let file = try SafetensorsFile(contentsOf: url)
        func fail(_ message: String) -> PersonalizationError { PersonalizationError("learned embeddings '\(url.path)': \(message)") }
        guard !file.names.isEmpty else { throw fail("holds no tokens") }
        guard file.names.count <= maxTokens else { throw fail("holds \(file.names.count) tokens, above the limit of \(maxTokens)") }
        let entries = try file.names.map { name -> Entry in
            let e = try file.entry(name)
            guard e.shape.count == 1 || (e.shape.count == 2 && (1...maxVectors).contains(e.shape[0])) else {
                throw fail("tensor '\(name)' has shape \(e.shape), expected [D] or [K, D] with K <= \(maxVectors)")
            }
            let t = try file.tensor(name)
            return Entry(token: name, vectors: e.shape.count == 1 ? t.reshape([1, e.shape[0]]) : t)
        }
        return LearnedEmbeddings(entries: entries, metadata: file.metadata)
    }

    /// Writes atomically, F32, a single vector as [D] (diffusers' layout).
    public func save(to url: URL) throws {
        let tensors = entries.map { e in
            SafetensorsWriter.Tensor.f32(e.token, shape: e.count == 1 ? [e.width] : [e.count, e.width], e.vectors)
        }
        try writeSafetensors(to: url, tensors: tensors, metadata: metadata)
    }

    /// Adds every token to `tokenizer` and its vectors to `model`'s token
    /// embedding, so prompts that name the tokens use them; returns the new tokenizer.
    /// The tokenizer and the model's table must be the same size, and the widths match.
    public func install(into model: MultimodalModel, tokenizer: CLIPTokenizer) throws -> CLIPTokenizer {
        guard let text = model.text else { throw PersonalizationError("learned tokens need a model with a CLIP-style text tower") }
        var tokenizer = tokenizer
        for e in entries {
            guard e.width == text.config.width else {
                throw PersonalizationError("token '\(e.token)' has vectors of width \(e.width), the model's text width is \(text.config.width)")
            }
            guard tokenizer.vocabularySize == text.config.vocabSize else {
                throw PersonalizationError("the tokenizer has \(tokenizer.vocabularySize) tokens but the model's table \(text.config.vocabSize)")
            }
            do { tokenizer = try tokenizer.adding(e.token, count: e.count) } catch {
                throw PersonalizationError("token '\(e.token)': \(error)")
            }
            model.appendTextTokens(Tensor(e.vectors, shape: [e.count, e.width]))
        }
        return tokenizer
    }
}

/// A personalization request that cannot run, or a learned-embeddings file that does not fit.
public struct PersonalizationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
