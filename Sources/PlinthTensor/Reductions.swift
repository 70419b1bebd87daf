import PlinthKernels

/// Reductions over one or more axes, with `keepdim` as in PyTorch.
extension Tensor {
    /// Views the contiguous values of an axis reduction as [outer, n, inner].
    private func split(at d: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<d].reduce(1, *), shape[d], shape[(d + 1)...].reduce(1, *))
    }

    private func reducedShape(_ d: Int, keepdim: Bool) -> [Int] {
        var s = shape
        if keepdim { s[d] = 1 } else { s.remove(at: d) }
        return s
    }

    /// Sum over one axis without recording.
    private func sumAxis(_ d: Int, keepdim: Bool) -> Tensor {
        let x = contiguousData()
        let (outer, n, inner) = split(at: d)
        let out = Tensor(uninitialized: reducedShape(d, keepdim: keepdim))
        let (px, po) = (x.pointer, out.pointer)
        if inner == 1 {
            Threads.parallelFor(outer, grain: Swift.max(1, elementGrain / Swift.max(n, 1))) { r in
                pk_sum_rows(px + r.lowerBound * n, po + r.lowerBound, Int64(r.count), Int64(n))
            }
        } else {
            // Parallel over (outer, column block) so a single long reduction
            // (a bias gradient summed over rows) also uses every core.
            let block = Swift.min(inner, 1024), blocks = (inner + block - 1) / block
            Threads.parallelFor(outer * blocks, grain: Swift.max(1, elementGrain / Swift.max(n * block, 1))) { r in
                for item in r {
                    let (o, c0) = (item / blocks, (item % blocks) * block)
                    let width = Int64(Swift.min(block, inner - c0))
                    let dst = po + o * inner + c0
                    pk_fill(dst, 0, width)
                    for k in 0..<n { pk_axpy(1, px + (o * n + k) * inner + c0, dst, width) }
                }
            }
        }
        return out
    }

    /// Sum of all elements (shape `[]`).
    public func sum() -> Tensor {
        let x = contiguousData()
        let px = x.pointer
        let chunks = Swift.max(1, Swift.min(Threads.count, count / elementGrain))
        var partial = [Float](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { p in
            let pp = p.baseAddress!
            let n = count
            Threads.parallelFor(chunks) { r in
                for c in r {
                    let lo = c * n / chunks, hi = (c + 1) * n / chunks
                    pp[c] = pk_sum(px + lo, Int64(hi - lo))
                }
            }
        }
        let inputShape = shape
        return Tensor(scalar: partial.reduce(0, +)).recorded("sum", [self]) { g in [g.expand(inputShape)] }
    }

    /// Sum over `dims`.
    public func sum(dims: [Int], keepdim: Bool = false) -> Tensor {
        let ds = Set(dims.map(axis)).sorted(by: >)
        var out = self
        withNoGrad { for d in ds { out = out.sumAxis(d, keepdim: true) } }
        var kept = out.shape
        if !keepdim { for d in ds { kept.remove(at: d) } }
        let outShape = kept, keptShape = out.shape, inputShape = shape
        return out.reshape(outShape).detach().recorded("sum_dims", [self]) { g in
            [g.reshape(keptShape).expand(inputShape)]
        }
    }

    public func sum(dim: Int, keepdim: Bool = false) -> Tensor { sum(dims: [dim], keepdim: keepdim) }

    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    public func mean(dims: [Int], keepdim: Bool = false) -> Tensor {
        let n = Set(dims.map(axis)).reduce(1) { $0 * shape[$1] }
        return sum(dims: dims, keepdim: keepdim) * (1 / Float(n))
    }

    public func mean(dim: Int, keepdim: Bool = false) -> Tensor { mean(dims: [dim], keepdim: keepdim) }

    /// Variance over `dim` with Bessel's correction by default (`correction: 1`).
    public func variance(dim: Int, correction: Int = 1, keepdim: Bool = false) -> Tensor {
        let centered = self - mean(dim: dim, keepdim: true)
        return (centered * centered).sum(dim: dim, keepdim: keepdim) * (1 / Float(shape[axis(dim)] - correction))
    }

    /// Max and its first index along `dim`. The gradient flows to the maximum.
    public func max(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: [Int]) {
        let d = axis(dim)
        let moved = d == rank - 1 ? contiguousData() : withNoGrad { movedim(d, -1).contiguousData() }
        let n = shape[d], rows = count / Swift.max(n, 1)
        var indices = [Int64](repeating: 0, count: rows)
        let values = Tensor(uninitialized: reducedShape(d, keepdim: keepdim))
        let (px, pv) = (moved.pointer, values.pointer)
        indices.withUnsafeMutableBufferPointer { idx in
            let pi = idx.baseAddress!
            Threads.parallelFor(rows, grain: Swift.max(1, elementGrain / Swift.max(n, 1))) { r in
                pk_max_rows(px + r.lowerBound * n, pv + r.lowerBound, pi + r.lowerBound, Int64(r.count), Int64(n))
            }
        }
        let ints = indices.map { Int($0) }
        let inputShape = shape, valuesShape = values.shape
        let out = values.recorded("max", [self]) { g in
            // Scatter into the moved layout [rows, n], then move the axis back.
            var movedShape = inputShape
            movedShape.remove(at: d)
            movedShape.append(n)
            let full = Tensor.zeros(movedShape)
            let gc = g.reshape(valuesShape).contiguousData()
            for (r, i) in ints.enumerated() { full.pointer[r * n + i] = gc.pointer[r] }
            return [full.movedim(-1, d)]
        }
        return (out, ints)
    }

    /// Maximum over all elements.
    public func max() -> Tensor { reshape([count]).max(dim: 0).values }

    /// Index of the first maximum along `dim`, row-major over the other axes.
    public func argmax(dim: Int) -> [Int] { withNoGrad { max(dim: dim).indices } }

    /// `log(sum(exp(x)))` along `dim`, computed stably.
    public func logsumexp(dim: Int, keepdim: Bool = false) -> Tensor {
        let d = axis(dim)
        let moved = d == rank - 1 ? contiguousData() : withNoGrad { movedim(d, -1).contiguousData() }
        let n = shape[d], rows = count / Swift.max(n, 1)
        let out = Tensor(uninitialized: reducedShape(d, keepdim: keepdim))
        let (px, po) = (moved.pointer, out.pointer)
        Threads.parallelFor(rows, grain: Swift.max(1, elementGrain / Swift.max(n, 1))) { r in
            pk_logsumexp_rows(px + r.lowerBound * n, po + r.lowerBound, Int64(r.count), Int64(n))
        }
        let keptShape = reducedShape(d, keepdim: true)
        return out.recorded("logsumexp", [self]) { g in
            [g.reshape(keptShape) * (self - out.reshape(keptShape)).exp()]
        }
    }
}
