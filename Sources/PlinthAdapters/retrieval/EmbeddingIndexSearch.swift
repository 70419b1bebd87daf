import PlinthTensor

extension EmbeddingIndex {
    /// The k items most similar to each query, best first.
    ///
    /// queries [Q, E] -> Q lists of `min(k, N)` hits. Each query is L2-normalized
    /// (`x / max(‖x‖, 1e-12)`, so a zero query scores 0 against every item) and
    /// scored against the unit item vectors by cosine similarity. Scores are
    /// computed as `Tensor.matmul` blocks (BLAS) of at most `queryChunk x itemChunk`
    /// floats, so memory stays bounded for any N; each block feeds a per-query
    /// top-k heap (no full sort). A large k shrinks the query chunk so the heaps
    /// hold at most about 4M entries. Equal scores rank the lower item index first.
    ///
    /// Traps unless queries is [Q, E] with finite values, `k >= 0` and both chunk
    /// sizes are positive.
    public func search(_ queries: Tensor, k: Int, queryChunk: Int = 256, itemChunk: Int = 16384) -> [[Hit]] {
        precondition(queries.rank == 2 && queries.shape[1] == dimension,
                     "EmbeddingIndex.search: queries \(queries.shape) for an index of width \(dimension)")
        precondition(k >= 0, "EmbeddingIndex.search: k must be >= 0, got \(k)")
        precondition(queryChunk >= 1 && itemChunk >= 1,
                     "EmbeddingIndex.search: chunk sizes must be positive, got \(queryChunk) and \(itemChunk)")
        let q = queries.shape[0], k = min(k, count)
        guard k > 0 else { return Array(repeating: [], count: q) }
        let (normalized, norms) = l2NormalizedRows(queries)
        if let bad = norms.firstIndex(where: { !$0.isFinite }) {
            preconditionFailure("EmbeddingIndex.search: query \(bad) holds a non-finite value")
        }
        let queryChunk = max(1, min(queryChunk, (1 << 22) / k))
        var hits: [[Hit]] = []
        hits.reserveCapacity(q)
        withNoGrad {
            for qStart in stride(from: 0, to: q, by: queryChunk) {
                let rows = min(queryChunk, q - qStart)
                let block = normalized.narrow(0, qStart, rows)  // [rows, E]
                var selection = TopKSelection(rows: rows, k: k)
                for iStart in stride(from: 0, to: count, by: itemChunk) {
                    let n = min(itemChunk, count - iStart)
                    let scores = Tensor.matmul(block, vectors.narrow(0, iStart, n).T)  // [rows, n]
                    selection.add(scores, firstIndex: iStart)
                }
                for row in selection.sorted() {
                    hits.append(row.map { Hit(index: $0.index, id: ids[$0.index], score: $0.score) })
                }
            }
        }
        return hits
    }

    /// `search(_:k:)` among the items whose metadata names `modality` ("image",
    /// "audio", "text"), or among all items when it is nil. Filtering follows a
    /// search over every item, so it costs a full ranking per query.
    public func search(_ queries: Tensor, k: Int, modality: String?) -> [[Hit]] {
        guard let modality else { return search(queries, k: k) }
        return search(queries, k: count).map { hits in
            Array(hits.filter { items[$0.index].modality == modality }.prefix(k))
        }
    }
}
