import Synchronization
import PlinthTensor

/// Audio features by file path, shared by a loader's workers: audio is not
/// augmented, so each file's features are computed once per loader, not once
/// per epoch. Holds at most `capacity` floats (further files are recomputed).
final class FeatureCache: Sendable {
    private let state = Mutex<(features: [String: Tensor], floats: Int)>(([:], 0))
    let capacity: Int

    init(capacity: Int = 256 << 20) { self.capacity = capacity }

    /// The cached features of `path`, or `make()`'s, stored if they fit.
    func features(_ path: String, _ make: () throws -> Tensor) rethrows -> Tensor {
        if let hit = state.withLock({ $0.features[path] }) { return hit }
        let t = try make()
        state.withLock { s in
            if s.features[path] == nil && s.floats + t.count <= capacity {
                s.features[path] = t
                s.floats += t.count
            }
        }
        return t
    }
}
