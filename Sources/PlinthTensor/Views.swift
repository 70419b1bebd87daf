/// Views: operations that change shape or layout without copying (except
/// `reshape` of a non-contiguous tensor and `contiguous()`).
extension Tensor {
    /// Same values with a new shape; one dimension may be -1 (inferred).
    /// A view whenever the strides allow it (always for contiguous tensors),
    /// a copy otherwise.
    public func reshape(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) from \(shape)")
            newShape[i] = count / known
        }
        precondition(Tensor.count(newShape) == count, "reshape: \(shape) (\(count) elements) to \(newShape)")
        if newShape == shape { return self }
        let oldShape = shape
        guard let viewStrides = Tensor.viewStrides(shape, strides, newShape) else {
            return contiguous().reshape(newShape)
        }
        return Tensor(storage: storage, shape: newShape, strides: viewStrides, offset: offset)
            .recorded("reshape", [self]) { g in [g.reshape(oldShape)] }
    }

    /// Strides that show the same elements in `newShape` without copying, or nil
    /// when the layout does not allow it (PyTorch's `computeStride`: each run of
    /// dimensions that is dense in memory may be split or merged freely).
    static func viewStrides(_ oldShape: [Int], _ oldStrides: [Int], _ newShape: [Int]) -> [Int]? {
        if oldShape.isEmpty || Tensor.count(oldShape) == 0 { return contiguousStrides(newShape) }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBase = oldStrides[oldShape.count - 1]
        var tensorCount = 1, viewCount = 1
        for d in stride(from: oldShape.count - 1, through: 0, by: -1) {
            tensorCount *= oldShape[d]
            let runEnds = d == 0 || (oldShape[d - 1] != 1 && oldStrides[d - 1] != tensorCount * chunkBase)
            guard runEnds else { continue }
            while viewD >= 0 && (viewCount < tensorCount || newShape[viewD] == 1) {
                newStrides[viewD] = viewCount * chunkBase
                viewCount *= newShape[viewD]
                viewD -= 1
            }
            if viewCount != tensorCount { return nil }
            if d > 0 {
                chunkBase = oldStrides[d - 1]
                tensorCount = 1
                viewCount = 1
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    public func flatten(from start: Int = 0, through end: Int = -1) -> Tensor {
        let s = axis(start), e = axis(end)
        guard s < e else { return self }
        return reshape(Array(shape[..<s]) + [shape[s...e].reduce(1, *)] + Array(shape[(e + 1)...]))
    }

    public func unsqueeze(_ dim: Int) -> Tensor {
        let d = dim < 0 ? dim + rank + 1 : dim
        precondition(d >= 0 && d <= rank, "unsqueeze(\(dim)) for shape \(shape)")
        var s = shape
        s.insert(1, at: d)
        return reshape(s)
    }

    /// Removes `dim` (which must have size 1), or every size-1 dimension.
    public func squeeze(_ dim: Int? = nil) -> Tensor {
        if let dim {
            precondition(shape[axis(dim)] == 1, "squeeze(\(dim)): size is \(shape[axis(dim)]), not 1")
            var s = shape
            s.remove(at: axis(dim))
            return reshape(s)
        }
        return reshape(shape.filter { $0 != 1 })
    }

    /// Reorders dimensions: result dimension i is input dimension `dims[i]`.
    public func permute(_ dims: [Int]) -> Tensor {
        let dims = dims.map(axis)
        precondition(dims.sorted() == Array(0..<rank), "permute(\(dims)) for shape \(shape)")
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in dims.enumerated() { inverse[d] = i }
        return Tensor(storage: storage, shape: dims.map { shape[$0] }, strides: dims.map { strides[$0] }, offset: offset)
            .recorded("permute", [self]) { g in [g.permute(inverse)] }
    }

    public func transpose(_ a: Int, _ b: Int) -> Tensor {
        var dims = Array(0..<rank)
        dims.swapAt(axis(a), axis(b))
        return permute(dims)
    }

    /// The transpose of a 2-D tensor (or of the last two dimensions).
    public var T: Tensor { transpose(-2, -1) }

    /// Moves dimension `from` to position `to`.
    public func movedim(_ from: Int, _ to: Int) -> Tensor {
        var dims = Array(0..<rank)
        let f = dims.remove(at: axis(from))
        dims.insert(f, at: axis(to))
        return permute(dims)
    }

    /// Elements `start..<start+length` along `dim` (a view).
    public func narrow(_ dim: Int, _ start: Int, _ length: Int) -> Tensor {
        let d = axis(dim)
        precondition(start >= 0 && length >= 0 && start + length <= shape[d],
                     "narrow(dim \(dim), \(start), \(length)) out of range for shape \(shape)")
        var s = shape
        s[d] = length
        let inputShape = shape
        return Tensor(storage: storage, shape: s, strides: strides, offset: offset + start * strides[d])
            .recorded("narrow", [self]) { g in
                let full = Tensor.zeros(inputShape)
                full.narrowView(d, start, length).assign(g)
                return [full]
            }
    }

    /// `narrow` with a range.
    public func slice(_ dim: Int, _ range: Range<Int>) -> Tensor {
        narrow(dim, range.lowerBound, range.count)
    }

    /// A view without autograd, for writing into part of a tensor.
    func narrowView(_ d: Int, _ start: Int, _ length: Int) -> Tensor {
        var s = shape
        s[d] = length
        return Tensor(storage: storage, shape: s, strides: strides, offset: offset + start * strides[d])
    }

    /// Broadcasts size-1 dimensions (and new leading ones) to `newShape` with
    /// zero strides.
    public func expand(_ newShape: [Int]) -> Tensor {
        precondition(newShape.count >= rank, "expand: \(shape) to \(newShape)")
        if newShape == shape { return self }
        let lead = newShape.count - rank
        var st = [Int](repeating: 0, count: newShape.count)
        for i in 0..<rank {
            precondition(shape[i] == newShape[lead + i] || shape[i] == 1, "expand: \(shape) to \(newShape)")
            st[lead + i] = shape[i] == 1 && newShape[lead + i] != 1 ? 0 : strides[i]
        }
        let inputShape = shape
        return Tensor(storage: storage, shape: newShape, strides: st, offset: offset)
            .recorded("expand", [self]) { g in [g.sumTo(inputShape)] }
    }

    /// A contiguous tensor with the same values (self when already contiguous).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        return copy().recorded("contiguous", [self]) { g in [g] }
    }

    /// Copies `source` (broadcast to this shape) into this tensor's elements.
    /// Not recorded: for buffers and for building results.
    public func assign(_ source: Tensor) {
        let src = source.shape == shape ? source : source.expandView(shape)
        stridedCopy(shape: shape, from: src.pointer, strides: src.strides, to: pointer, strides: strides)
    }

    /// `expand` without autograd.
    func expandView(_ newShape: [Int]) -> Tensor {
        withNoGrad { expand(newShape) }
    }
}
