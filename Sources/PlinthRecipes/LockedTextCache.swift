import PlinthModels
import PlinthNN

// Legend: B batch, T context length, E joint width, L tokens (the longest row), W token width.

/// Text features of a locked (frozen, eval-mode) text tower, computed once per
/// distinct token row: with the text side fixed, as in LiT, its features are a
/// pure function of the ids, so training pays for each caption once. Keeps
/// pooled embeddings (`embed`) and token features (`tokens`) apart.
public final class LockedTextCache {
    private var rows: [[Int]: [Float]] = [:]
    private var tokenRows: [[Int]: (count: Int, values: [Float])] = [:]
    /// Rows kept at most, of each kind; beyond it the cache is cleared (captions repeat, so it refills cheaply).
    public let capacity: Int

    public init(capacity: Int = 200_000) { self.capacity = capacity }

    /// ids [B*T] -> embeddings [B, E], without gradient.
    public func embed(_ model: MultimodalModel, ids: [Int], batch b: Int) -> Tensor {
        let keys = Self.rows(ids, batch: b)
        let missing = Array(Set(keys.filter { rows[$0] == nil }))
        if !missing.isEmpty {
            if rows.count + missing.count > capacity { rows.removeAll() }
            let e = withNoGrad { model.encode(text: missing.flatMap { $0 }, batch: missing.count) }   // [m, E]
            let values = e.contiguous().toArray(), width = e.shape[1]
            for (i, key) in missing.enumerated() { rows[key] = Array(values[i * width..<(i + 1) * width]) }
        }
        let width = rows[keys[0]]!.count
        return Tensor(keys.flatMap { rows[$0]! }, shape: [b, width])                           // [B, E]
    }

    /// ids [B*T] -> token features [B, L, W] and their mask, without gradient; as
    /// `model.tokens(text:batch:)` gives them, with the padding after each row's tokens zero.
    public func tokens(_ model: MultimodalModel, ids: [Int], batch b: Int) -> TextTokens {
        let keys = Self.rows(ids, batch: b)
        let missing = Array(Set(keys.filter { tokenRows[$0] == nil }))
        if !missing.isEmpty {
            if tokenRows.count + missing.count > capacity { tokenRows.removeAll() }
            let x = withNoGrad { model.tokens(text: missing.flatMap { $0 }, batch: missing.count) }
            let values = x.tokens.contiguous().toArray(), keep = x.keep.toArray()
            let (l, w) = (x.tokens.shape[1], x.tokens.shape[2])
            for (i, key) in missing.enumerated() {
                let count = keep[i * l..<(i + 1) * l].reduce(0) { $0 + Int($1) }
                tokenRows[key] = (count, Array(values[i * l * w..<(i * l + count) * w]))
            }
        }
        let w = model.config.textTokenWidth!, l = keys.map { tokenRows[$0]!.count }.max()!
        var tokens = [Float](repeating: 0, count: b * l * w), keep = [Float](repeating: 0, count: b * l)
        for (i, key) in keys.enumerated() {
            let row = tokenRows[key]!
            tokens.replaceSubrange(i * l * w..<i * l * w + row.values.count, with: row.values)
            for j in 0..<row.count { keep[i * l + j] = 1 }
        }
        return TextTokens(tokens: Tensor(tokens, shape: [b, l, w]), keep: Tensor(keep, shape: [b, l]))
    }

    private static func rows(_ ids: [Int], batch b: Int) -> [[Int]] {
        let t = ids.count / b
        return (0..<b).map { Array(ids[$0 * t..<($0 + 1) * t]) }
    }
}
