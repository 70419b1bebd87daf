import PlinthTensor

/// Streaming top-k selection for a block of query rows: each row keeps its k
/// best (score, index) pairs in a binary heap whose root is the worst kept pair,
/// so a candidate costs one comparison unless it enters the top k
/// (O(n log k) per row instead of a full sort).
///
/// Order: higher score first, then lower index. Candidates must arrive in
/// increasing index order, so a later candidate that ties the root's score is
/// worse and never displaces it. Scores must not be NaN.
struct TopKSelection {
    let rows: Int
    let k: Int
    private var scores: [Float]
    private var indices: [Int]
    private var sizes: [Int]

    init(rows: Int, k: Int) {
        precondition(k >= 1, "TopKSelection: k must be at least 1, got \(k)")
        self.rows = rows
        self.k = k
        scores = [Float](repeating: 0, count: rows * k)
        indices = [Int](repeating: 0, count: rows * k)
        sizes = [Int](repeating: 0, count: rows)
    }

    /// Offers `block` [rows, n] (contiguous): column j is candidate `firstIndex + j`.
    mutating func add(_ block: Tensor, firstIndex: Int) {
        precondition(block.rank == 2 && block.shape[0] == rows && block.isContiguous,
                     "TopKSelection.add: need a contiguous [\(rows), n] block, got \(block.shape)")
        let n = block.shape[1], k = self.k
        let source = block.pointer
        scores.withUnsafeMutableBufferPointer { s in
            indices.withUnsafeMutableBufferPointer { ix in
                sizes.withUnsafeMutableBufferPointer { sz in
                    let (ps, pi, pz) = (s.baseAddress!, ix.baseAddress!, sz.baseAddress!)
                    Threads.parallelFor(rows, grain: max(1, 16384 / max(n, 1))) { range in
                        for r in range {
                            var heap = Heap(scores: ps + r * k, indices: pi + r * k, size: pz[r], capacity: k)
                            let row = source + r * n
                            for j in 0..<n { heap.offer(row[j], firstIndex + j) }
                            pz[r] = heap.size
                        }
                    }
                }
            }
        }
    }

    /// Each row's kept pairs, best first.
    func sorted() -> [[(index: Int, score: Float)]] {
        (0..<rows).map { r in
            (0..<sizes[r]).map { (index: indices[r * k + $0], score: scores[r * k + $0]) }
                .sorted { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
        }
    }
}

/// A min-heap over one row's slots, worst pair at the root.
private struct Heap {
    let scores: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int>
    var size: Int
    let capacity: Int

    /// Whether pair a ranks below pair b (lower score, or equal score and higher index).
    private func worse(_ a: Int, _ b: Int) -> Bool {
        scores[a] < scores[b] || (scores[a] == scores[b] && indices[a] > indices[b])
    }

    mutating func offer(_ score: Float, _ index: Int) {
        if size < capacity {
            var i = size
            scores[i] = score
            indices[i] = index
            size += 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard worse(i, parent) else { break }
                swap(i, parent)
                i = parent
            }
        } else if score > scores[0] {
            scores[0] = score
            indices[0] = index
            siftDown()
        }
    }

    private func siftDown() {
        var i = 0
        while true {
            let (left, right) = (2 * i + 1, 2 * i + 2)
            var worst = i
            if left < size && worse(left, worst) { worst = left }
            if right < size && worse(right, worst) { worst = right }
            if worst == i { return }
            swap(i, worst)
            i = worst
        }
    }

    private func swap(_ a: Int, _ b: Int) {
        (scores[a], scores[b]) = (scores[b], scores[a])
        (indices[a], indices[b]) = (indices[b], indices[a])
    }
}
