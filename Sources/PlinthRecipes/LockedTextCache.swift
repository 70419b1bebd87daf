import PlinthModels
import PlinthNN

// Legend: B batch, T context length, E joint width.

/// Text embeddings of a locked (frozen, eval-mode) text tower, computed once
/// per distinct token row: with the text side fixed, as in LiT, its features
/// are a pure function of the ids, so training pays for each caption once.
public final class LockedTextCache {
    private var rows: [[Int]: [Float]] = [:]
    /// Rows kept at most; beyond it the cache is cleared (captions repeat, so it refills cheaply).
    public let capacity: Int

    public init(capacity: Int = 200_000) { self.capacity = capacity }

    /// ids [B*T] -> embeddings [B, E], without gradient.
    public func embed(_ model: MultimodalModel, ids: [Int], batch b: Int) -> Tensor {
        let t = ids.count / b
        let keys = (0..<b).map { Array(ids[$0 * t..<($0 + 1) * t]) }
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
}
