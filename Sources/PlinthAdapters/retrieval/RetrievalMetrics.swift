import PlinthTensor

/// Ranks and recall for cross-modal retrieval, matching open_clip's
/// `get_clip_metrics` and extending it to several correct candidates per query.
///
/// Legend: Nq queries, Nc candidates; A, B two embedding sets of Na and Nb items.
public enum RetrievalMetrics {
    /// The 1-based rank of the first correct candidate for each query.
    ///
    /// similarity [Nq, Nc] (any layout, e.g. the transposed view of a score matrix),
    /// positives: for each query the non-empty set of correct candidate indices.
    /// Candidates are ordered by score, highest first, equal scores by lower index
    /// (`torch.argsort(logits, descending=True, stable=True)`), so the rank is
    /// `1 + #{c : s_c > s_p or (s_c == s_p and c < p)}` for the best positive p.
    /// Without ties this is exactly open_clip's rank. open_clip sorts without
    /// `stable`, and torch's CPU sort is then not stable above 16 elements, so its
    /// ranks for exactly tied scores are arbitrary; here they are deterministic.
    /// O(Nq * Nc) without sorting. Traps on a count mismatch, an empty positive
    /// set or an index out of range.
    public static func ranks(similarity: Tensor, positives: [[Int]]) -> [Int] {
        if let q = positives.firstIndex(where: \.isEmpty) {
            preconditionFailure("RetrievalMetrics.ranks: query \(q) has no correct candidate")
        }
        return firstCorrectRanks(similarity, positives)
    }

    /// ``ranks(similarity:positives:)`` where a query with no positive gets rank 0.
    private static func firstCorrectRanks(_ similarity: Tensor, _ positives: [[Int]]) -> [Int] {
        precondition(similarity.rank == 2, "RetrievalMetrics.ranks: similarity must be [Nq, Nc], got \(similarity.shape)")
        let (nq, nc) = (similarity.shape[0], similarity.shape[1])
        precondition(positives.count == nq, "RetrievalMetrics.ranks: \(positives.count) positive sets for \(nq) queries")
        let (sq, sc, base) = (similarity.strides[0], similarity.strides[1], similarity.pointer)
        // The best positive per query; a query without one never counts anything ahead.
        var targets = [(score: Float, index: Int)](repeating: (.infinity, 0), count: nq)
        for (q, set) in positives.enumerated() {
            for (i, p) in set.enumerated() {
                precondition(p >= 0 && p < nc, "RetrievalMetrics.ranks: positive \(p) of query \(q) is not in 0..<\(nc)")
                let s = base[q * sq + p * sc]
                if i == 0 || s > targets[q].score || (s == targets[q].score && p < targets[q].index) { targets[q] = (s, p) }
            }
        }
        var ahead = [Int](repeating: 0, count: nq)
        ahead.withUnsafeMutableBufferPointer { out in
            let pa = out.baseAddress!
            Threads.parallelFor(nq, grain: max(1, 65536 / max(nc, 1))) { range in
                // Walk memory in order: queries innermost when they are the unit-stride axis.
                if sq < sc {
                    for c in 0..<nc {
                        for q in range {
                            let (s, t) = (base[q * sq + c * sc], targets[q])
                            if s > t.score || (s == t.score && c < t.index) { pa[q] += 1 }
                        }
                    }
                } else {
                    for q in range {
                        let t = targets[q], row = base + q * sq
                        var n = 0
                        for c in 0..<nc where row[c * sc] > t.score || (row[c * sc] == t.score && c < t.index) { n += 1 }
                        pa[q] = n
                    }
                }
            }
        }
        return zip(ahead, positives).map { $1.isEmpty ? 0 : $0 + 1 }
    }

    /// Retrieval both ways from a score matrix [Na, Nb] whose rows are A items
    /// and columns B items; `positives[i]` is the index in B of A item i.
    ///
    /// A -> B ranks the rows, B -> A the columns of the same matrix (as open_clip
    /// uses `logits_per_image.t()`). Several A items may share a B item
    /// (many-to-one, e.g. images sharing a caption): a B query's correct
    /// candidates are all A items mapped to it, and B items that no A item maps
    /// to are left out of B -> A. With `positives[i] == i` and Na == Nb this is
    /// exactly `get_clip_metrics`.
    public static func evaluate(similarity: Tensor, positives: [Int]) -> PairedRetrievalReport {
        precondition(similarity.rank == 2 && similarity.shape[0] == positives.count,
                     "RetrievalMetrics.evaluate: similarity \(similarity.shape) for \(positives.count) positives")
        let nb = similarity.shape[1]
        var inverse = [[Int]](repeating: [], count: nb)
        for (i, p) in positives.enumerated() {
            precondition(p >= 0 && p < nb, "RetrievalMetrics.evaluate: positive \(p) of item \(i) is not in 0..<\(nb)")
            inverse[p].append(i)
        }
        let ranksB = firstCorrectRanks(similarity.T, inverse).filter { $0 > 0 }
        return PairedRetrievalReport(
            aToB: RetrievalReport(ranks: firstCorrectRanks(similarity, positives.map { [$0] })),
            bToA: RetrievalReport(ranks: ranksB))
    }

    /// Retrieval both ways between embeddings a [Na, E] and b [Nb, E] by cosine
    /// similarity; `positives[i]` is the index in b of a's item i. Both sets are
    /// L2-normalized (`x / max(‖x‖, 1e-12)`) and the full [Na, Nb] score matrix is
    /// one BLAS product (4 * Na * Nb bytes). See ``evaluate(similarity:positives:)``.
    public static func evaluate(_ a: Tensor, _ b: Tensor, positives: [Int]) -> PairedRetrievalReport {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1],
                     "RetrievalMetrics.evaluate: embeddings \(a.shape) and \(b.shape) must be [Na, E] and [Nb, E]")
        let similarity = withNoGrad {
            Tensor.matmul(l2NormalizedRows(a).normalized, l2NormalizedRows(b).normalized.T)  // [Na, Nb]
        }
        return evaluate(similarity: similarity, positives: positives)
    }
}
