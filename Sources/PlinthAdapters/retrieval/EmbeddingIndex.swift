import Foundation
import PlinthTensor

/// A retrieval index over N items of one embedding space: unit vectors, ids and
/// per-item metadata, searched by brute-force cosine similarity.
///
/// Legend: N items, E embedding width, Q queries.
///
/// `vectors` [N, E] are L2-normalized when the index is created, so a score is
/// the cosine similarity `q̂ · v̂`. The index is independent of any model: build it
/// from the embeddings of any encoder. Search is in `EmbeddingIndexSearch.swift`,
/// the file format in `EmbeddingIndexFile.swift`.
public struct EmbeddingIndex: Sendable {
    /// Descriptive fields of one item; all optional.
    public struct ItemMetadata: Codable, Sendable, Equatable {
        /// The item's modality, e.g. "image", "audio", "text".
        public var modality: String?
        /// Where the item came from (a file path or URL).
        public var path: String?
        /// A caption or transcript.
        public var caption: String?

        public init(modality: String? = nil, path: String? = nil, caption: String? = nil) {
            self.modality = modality
            self.path = path
            self.caption = caption
        }
    }

    /// One search result.
    public struct Hit: Sendable, Equatable, Codable {
        /// The item's row in `vectors`.
        public var index: Int
        public var id: String
        /// Cosine similarity between the query and the item, in [-1, 1].
        public var score: Float

        public init(index: Int, id: String, score: Float) {
            self.index = index
            self.id = id
            self.score = score
        }
    }

    /// The items' embeddings, one L2-normalized row per item: [N, E], contiguous.
    public let vectors: Tensor
    /// The items' identifiers, unique, in row order.
    public let ids: [String]
    /// Per-item metadata, in row order.
    public let items: [ItemMetadata]
    /// The name of the model that produced the embeddings (may be empty).
    public let model: String

    /// The number of items N.
    public var count: Int { ids.count }
    /// The embedding width E.
    public var dimension: Int { vectors.shape[1] }

    /// An index over `vectors` [N, E], normalized here (the argument is not modified).
    ///
    /// `ids` and `items` (default: empty metadata) must have N entries and `E >= 1`;
    /// breaking that is a programming error and traps.
    ///
    /// - Throws: ``EmbeddingIndexError`` naming the item when a vector is zero or
    ///   holds a non-finite value (it has no direction), or when an id repeats.
    public init(vectors: Tensor, ids: [String], items: [ItemMetadata]? = nil, model: String = "") throws {
        precondition(vectors.rank == 2 && vectors.shape[1] >= 1,
                     "EmbeddingIndex: vectors must be [N, E] with E >= 1, got \(vectors.shape)")
        precondition(ids.count == vectors.shape[0], "EmbeddingIndex: \(ids.count) ids for vectors \(vectors.shape)")
        let items = items ?? Array(repeating: ItemMetadata(), count: ids.count)
        precondition(items.count == ids.count, "EmbeddingIndex: \(items.count) metadata entries for \(ids.count) ids")
        let (normalized, norms) = l2NormalizedRows(vectors)
        for (row, norm) in norms.enumerated() where !(norm.isFinite && norm > 0) {
            throw EmbeddingIndexError(path: nil, "item \(row) (id \"\(ids[row])\") has \(norm.isFinite ? "a zero vector" : "a non-finite value"); cannot L2-normalize it")
        }
        try self.init(normalized: normalized, ids: ids, items: items, model: model, path: nil)
    }

    /// An index over rows that are already unit vectors (from a file); checks only
    /// that the ids are unique.
    init(normalized: Tensor, ids: [String], items: [ItemMetadata], model: String, path: String?) throws {
        var seen = Set<String>()
        for (row, id) in ids.enumerated() where !seen.insert(id).inserted {
            throw EmbeddingIndexError(path: path, "id \"\(id)\" of item \(row) is used by an earlier item; ids must be unique")
        }
        self.vectors = normalized
        self.ids = ids
        self.items = items
        self.model = model
    }
}

/// Invalid data given to or read by an ``EmbeddingIndex``: a vector without a
/// direction, a repeated id, or a file that is not a valid index.
public struct EmbeddingIndexError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// The file being read or written, if any.
    public let path: String?
    /// What went wrong, naming the field or item.
    public let message: String

    public init(path: String?, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        path.map { "embedding index '\($0)': \(message)" } ?? "embedding index: \(message)"
    }

    public var errorDescription: String? { description }
}
