import Foundation
import PlinthNN
import PlinthTensor

/// An ``EmbeddingIndex`` on disk: one safetensors file, readable by standard tools.
///
/// Tensor `embeddings` [N, E] holds the unit vectors (F32, or F16/BF16 to halve
/// the size). The `__metadata__` map holds strings:
///
/// | key             | value                                                       |
/// |-----------------|-------------------------------------------------------------|
/// | `format`        | `plinth-embedding-index/1`                                  |
/// | `model`         | the model name (may be empty)                               |
/// | `embedding_dim` | E, decimal                                                  |
/// | `ids`           | JSON array of N strings                                     |
/// | `items`         | JSON array of N objects with optional `modality`, `path`, `caption` |
extension EmbeddingIndex {
    public static let fileFormat = "plinth-embedding-index/1"

    /// Writes the index to `url` atomically (temporary file, fsync, rename), so an
    /// interrupted save never leaves a partial file. F32 round-trips exactly;
    /// F16/BF16 rows are renormalized on load.
    public func save(to url: URL, precision: SavedPrecision = .f32) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let metadata = [
            "format": Self.fileFormat,
            "model": model,
            "embedding_dim": String(dimension),
            "ids": String(decoding: try encoder.encode(ids), as: UTF8.self),
            "items": String(decoding: try encoder.encode(items), as: UTF8.self),
        ]
        try saveTensors(["embeddings": vectors], to: url, metadata: metadata, precision: precision)
    }

    /// Reads an index written by ``save(to:precision:)``.
    ///
    /// Everything is validated before the vectors are decoded: the metadata
    /// fields, the tensor's dtype and its shape [N, embedding_dim] against the N
    /// ids and items. Sizes are bounded by the file itself (the safetensors reader
    /// checks that the header fits its 100 MB limit and the tensor's bytes lie in
    /// the file). F32 rows must already be unit vectors (norm within 1e-4 of 1);
    /// F16/BF16 rows are renormalized.
    ///
    /// - Throws: ``SafetensorsError`` if the file is not valid safetensors, and
    ///   ``EmbeddingIndexError`` naming the path and the missing or invalid field,
    ///   or the item whose vector is invalid.
    public static func load(from url: URL) throws -> EmbeddingIndex {
        let path = url.path
        let file = try SafetensorsFile(contentsOf: url)
        func invalid(_ message: String) -> EmbeddingIndexError { EmbeddingIndexError(path: path, message) }
        func field(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw invalid("metadata field '\(key)' is missing") }
            return value
        }
        func json<T: Decodable>(_ key: String, as type: T.Type, expected: String) throws -> T {
            let text = try field(key)
            guard let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw invalid("metadata field '\(key)' is not \(expected)")
            }
            return value
        }

        let format = try field("format")
        guard format == fileFormat else { throw invalid("metadata field 'format' is '\(format)', expected '\(fileFormat)'") }
        let model = try field("model")
        let dimText = try field("embedding_dim")
        guard let dim = Int(dimText), dim >= 1 else {
            throw invalid("metadata field 'embedding_dim' is '\(dimText)', expected a positive integer")
        }
        let ids = try json("ids", as: [String].self, expected: "a JSON array of strings")
        let items = try json("items", as: [ItemMetadata].self,
                             expected: "a JSON array of objects with optional string fields modality, path, caption")

        guard let entry = file.entries["embeddings"] else {
            if let dtype = file.unsupportedDTypes["embeddings"] {
                throw invalid("tensor 'embeddings' has dtype \(dtype), expected F32, F16 or BF16")
            }
            throw invalid("tensor 'embeddings' is missing")
        }
        guard entry.dtype != .i64 else { throw invalid("tensor 'embeddings' has dtype I64, expected F32, F16 or BF16") }
        guard entry.shape.count == 2, entry.shape[1] == dim else {
            throw invalid("tensor 'embeddings' has shape \(entry.shape), expected [N, \(dim)] (embedding_dim)")
        }
        let n = entry.shape[0]
        guard ids.count == n else { throw invalid("metadata field 'ids' has \(ids.count) entries for \(n) embeddings") }
        guard items.count == n else { throw invalid("metadata field 'items' has \(items.count) entries for \(n) embeddings") }

        let stored = try file.tensor("embeddings")
        let (renormalized, norms) = l2NormalizedRows(stored)
        for (row, norm) in norms.enumerated() {
            guard norm.isFinite, norm > 0 else {
                throw invalid("tensor 'embeddings' row \(row) (id \"\(ids[row])\") is \(norm.isFinite ? "zero" : "not finite")")
            }
            if entry.dtype == .f32 && abs(norm - 1) > 1e-4 {
                throw invalid("tensor 'embeddings' row \(row) (id \"\(ids[row])\") has norm \(norm), expected a unit vector")
            }
        }
        return try EmbeddingIndex(normalized: entry.dtype == .f32 ? stored : renormalized, ids: ids, items: items,
                                  model: model, path: path)
    }
}
