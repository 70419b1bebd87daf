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

    /// tensor [n, ...] on each rank (the same shape everywhere) -> [size * n, ...],
    /// the ranks' rows in rank order.
    public func allGather(_ tensor: Tensor) throws -> Tensor {
        let local = tensor.contiguous()
        let out = Tensor(uninitialized: [size * local.shape[0]] + local.shape.dropFirst())
        try allGather(UnsafeBufferPointer(buffer(local)), into: buffer(out))
        return out
    }

    private func buffer(_ tensor: Tensor) -> UnsafeMutableBufferPointer<Float> {
        precondition(tensor.isContiguous, "Communicator: collectives need a contiguous tensor, got strides \(tensor.strides)")
        return UnsafeMutableBufferPointer(start: tensor.pointer, count: tensor.count)
    }
}
