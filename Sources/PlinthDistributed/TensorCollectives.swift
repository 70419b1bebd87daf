import PlinthTensor

extension Communicator {
    /// Overwrites the contiguous `tensor` on every rank with `root`'s.
    public func broadcast(_ tensor: Tensor, root: Int = 0) throws {
        try broadcast(buffer(tensor), root: root)
    }

    /// Replaces the contiguous `tensor` on every rank with the sum over ranks.
    public func allReduceSum(_ tensor: Tensor) throws {
        try allReduceSum(buffer(tensor))
    }

    /// The element-wise mean of `values` over ranks.
    public func mean(_ values: [Float]) throws -> [Float] {
        var sums = values
        try sums.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return sums.map { $0 / Float(size) }
    }

    /// tensor [n, ...] on each rank (the same shape everywhere) -> [size * n, ...],
    /// the ranks' rows in rank order.
    public func allGather(_ tensor: Tensor) throws -> Tensor {
        let local = tensor.contiguous()
        let out = Tensor(uninitialized: [size * local.shape[0]] + local.shape.dropFirst())
        try allGather(UnsafeBufferPointer(buffer(local)), into: buffer(out))
        return out
    }

    /// rows [n_r, ...] on rank r (n_r may differ; nil is 0 rows) -> [Σ n_r, ...]
    /// in rank order (nil when Σ n_r is 0), and the n_r. `trailing` is the
    /// shape after the first axis, the same on every rank.
    public func allGatherRows(_ rows: Tensor?, trailing: [Int]) throws -> (Tensor?, counts: [Int]) {
        precondition(rows.map { Array($0.shape.dropFirst()) == trailing } ?? true,
                     "allGatherRows: rows \(rows?.shape ?? []) do not end in \(trailing)")
        let local = rows?.contiguous(), width = trailing.reduce(1, *)
        let counts = try allGather(local?.shape[0] ?? 0)
        guard counts.reduce(0, +) > 0 else { return (nil, counts) }
        let out = Tensor(uninitialized: [counts.reduce(0, +)] + trailing)
        try allGather(UnsafeBufferPointer(local.map(buffer) ?? UnsafeMutableBufferPointer(start: nil, count: 0)),
                      counts: counts.map { $0 * width }, into: buffer(out))
        return (out, counts)
    }

    /// The sum over ranks of `tensor` [Σ n_r, ...] (laid out as ``allGatherRows(_:trailing:)``
    /// gave it), of which this rank gets its own rows [n_rank, ...]; nil when n_rank is 0.
    public func reduceScatterRows(_ tensor: Tensor, counts: [Int]) throws -> Tensor? {
        let full = tensor.contiguous(), width = full.count / full.shape[0]
        let out = counts[rank] == 0 ? nil : Tensor(uninitialized: [counts[rank]] + full.shape.dropFirst())
        try reduceScatterSum(UnsafeBufferPointer(buffer(full)), counts: counts.map { $0 * width },
                             into: out.map(buffer) ?? UnsafeMutableBufferPointer(start: nil, count: 0))
        return out
    }

    private func buffer(_ tensor: Tensor) -> UnsafeMutableBufferPointer<Float> {
        precondition(tensor.isContiguous, "Communicator: collectives need a contiguous tensor, got strides \(tensor.strides)")
        return UnsafeMutableBufferPointer(start: tensor.pointer, count: tensor.count)
    }
}

extension Communicator {
    /// `root`'s `tensors` on every rank; other ranks' argument is ignored (pass [:]).
    public func broadcast(_ tensors: [String: Tensor], root: Int = 0) throws -> [String: Tensor] {
        // The names and shapes go first, as "key<TAB>d0,d1,...<LF>" lines.
        var header = rank != root ? [] : Array(tensors.keys.sorted().map { key in
            key + "\t" + tensors[key]!.shape.map(String.init).joined(separator: ",")
        }.joined(separator: "\n").utf8)
        var length = Int64(header.count)
        try withUnsafeMutablePointer(to: &length) { try broadcast(UnsafeMutableBufferPointer(start: $0, count: 1), root: root) }
        if rank != root { header = [UInt8](repeating: 0, count: Int(length)) }
        try header.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        var out: [String: Tensor] = [:]
        for line in String(decoding: header, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            let key = String(parts[0]), shape = parts[1].split(separator: ",").map { Int($0)! }
            let t = rank == root ? tensors[key]!.contiguous() : Tensor(uninitialized: shape)
            try broadcast(t, root: root)
            out[key] = t
        }
        return out
    }
}
