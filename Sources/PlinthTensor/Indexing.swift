/// Gathering and joining: embedding lookup, concat, stack, split, chunk,
/// gather and index-select. Integer indices are Swift `[Int]` arrays.
extension Tensor {
    /// Rows of `weight` [V, D] at `indices`, shaped `shape + [D]`.
    /// The gradient is scattered (added) back into the rows.
    public static func embedding(_ weight: Tensor, indices: [Int], shape: [Int]) -> Tensor {
        precondition(weight.rank == 2, "embedding: weight must be [V, D], got \(weight.shape)")
        precondition(Tensor.count(shape) == indices.count, "embedding: \(indices.count) indices for shape \(shape)")
        let (v, d) = (weight.shape[0], weight.shape[1])
        if let bad = indices.first(where: { $0 < 0 || $0 >= v }) {
            preconditionFailure("embedding: index \(bad) out of range for \(v) rows")
        }
        let w = weight.contiguousData()
        let out = Tensor(uninitialized: shape + [d])
        for (i, idx) in indices.enumerated() { (out.pointer + i * d).update(from: w.pointer + idx * d, count: d) }
        return out.recorded("embedding", [weight]) { g in
            let gc = g.contiguousData()
            let gw = Tensor.zeros([v, d])
            for (i, idx) in indices.enumerated() {
                let dst = gw.pointer + idx * d, src = gc.pointer + i * d
                for j in 0..<d { dst[j] += src[j] }
            }
            return [gw]
        }
    }

    /// Joins tensors along `dim`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors")
        let d = tensors[0].axis(dim)
        var shape = tensors[0].shape
        for t in tensors.dropFirst() {
            var a = t.shape, b = shape
            a[d] = 0; b[d] = 0
            precondition(a == b, "concat along \(dim): shapes \(tensors.map(\.shape)) differ off the axis")
        }
        let sizes = tensors.map { $0.shape[d] }
        shape[d] = sizes.reduce(0, +)
        let out = Tensor(uninitialized: shape)
        var start = 0
        for t in tensors {
            out.narrowView(d, start, t.shape[d]).assign(t)
            start += t.shape[d]
        }
        return out.recorded("concat", tensors) { g in
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return g.narrow(d, start, size)
            }
        }
    }

    /// Stacks same-shaped tensors along a new dimension `dim`.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        concat(tensors.map { $0.unsqueeze(dim) }, dim: dim)
    }

    /// Views of consecutive pieces along `dim` with the given sizes.
    public func split(_ sizes: [Int], dim: Int = 0) -> [Tensor] {
        let d = axis(dim)
        precondition(sizes.reduce(0, +) == shape[d], "split: sizes \(sizes) do not add up to \(shape[d]) in \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrow(d, start, size)
        }
    }

    /// `n` nearly equal pieces along `dim` (the last may be smaller), as PyTorch's chunk.
    public func chunk(_ n: Int, dim: Int = 0) -> [Tensor] {
        let size = shape[axis(dim)]
        let step = (size + n - 1) / n
        return split(stride(from: 0, to: size, by: Swift.max(step, 1)).map { Swift.min(step, size - $0) }, dim: dim)
    }

    /// `out[i][j][k] = self[i][index[i][j][k]][k]` for dim 1 (and likewise for
    /// any dim): `index` has this tensor's rank and gives the result's shape.
    public func gather(dim: Int, index: [Int], shape indexShape: [Int]) -> Tensor {
        let d = axis(dim)
        precondition(indexShape.count == rank && Tensor.count(indexShape) == index.count,
                     "gather: index shape \(indexShape) for input \(shape)")
        let x = contiguousData()
        let out = Tensor(uninitialized: indexShape)
        let offsets = gatherOffsets(d, index, indexShape)
        for (i, o) in offsets.enumerated() { out.pointer[i] = x.pointer[o] }
        let inputShape = shape
        return out.recorded("gather", [self]) { g in
            let gc = g.contiguousData()
            let gx = Tensor.zeros(inputShape)
            for (i, o) in offsets.enumerated() { gx.pointer[o] += gc.pointer[i] }
            return [gx]
        }
    }

    /// Offsets into the contiguous input for each element of a gather index.
    private func gatherOffsets(_ d: Int, _ index: [Int], _ indexShape: [Int]) -> [Int] {
        let inStrides = Tensor.contiguousStrides(shape)
        return index.enumerated().map { i, idx in
            precondition(idx >= 0 && idx < shape[d], "gather: index \(idx) out of range for dim \(d) of \(shape)")
            var rem = i, off = 0
            for a in stride(from: rank - 1, through: 0, by: -1) {
                let pos = rem % indexShape[a]
                rem /= indexShape[a]
                if a != d { precondition(pos < shape[a], "gather: index shape \(indexShape) exceeds input \(shape)") }
                off += (a == d ? idx : pos) * inStrides[a]
            }
            return off
        }
    }

    /// Slices at `indices` along `dim`, in that order (repeats allowed).
    public func indexSelect(dim: Int, indices: [Int]) -> Tensor {
        let d = axis(dim)
        var outShape = shape
        outShape[d] = indices.count
        let out = Tensor(uninitialized: outShape)
        for (k, idx) in indices.enumerated() {
            precondition(idx >= 0 && idx < shape[d], "indexSelect: index \(idx) out of range for dim \(d) of \(shape)")
            out.narrowView(d, k, 1).assign(narrowView(d, idx, 1))
        }
        let inputShape = shape
        return out.recorded("index_select", [self]) { g in
            let gx = Tensor.zeros(inputShape)
            for (k, idx) in indices.enumerated() {
                let dst = gx.narrowView(d, idx, 1)
                dst.assign(dst.copy() + g.narrowView(d, k, 1))
            }
            return [gx]
        }
    }
}
