import PlinthKernels

/// Fused softmax and log-softmax with their own backward passes.
extension Tensor {
    /// Runs a row kernel over `dim`, moving it last (and back) when needed.
    private func rowwise(_ dim: Int, _ kernel: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64, Int64) -> Void) -> Tensor {
        let d = axis(dim)
        let x = d == rank - 1 ? contiguousData() : withNoGrad { movedim(d, -1).contiguousData() }
        let n = shape[d], rows = count / Swift.max(n, 1)
        let out = Tensor(uninitialized: x.shape)
        let (px, po) = (x.pointer, out.pointer)
        Threads.parallelFor(rows, grain: Swift.max(1, elementGrain / Swift.max(n, 1))) { r in
            kernel(px + r.lowerBound * n, po + r.lowerBound * n, Int64(r.count), Int64(n))
        }
        return d == rank - 1 ? out : withNoGrad { out.movedim(-1, d).contiguousData() }
    }

    private static func rowwiseBackward(_ y: Tensor, _ g: Tensor, _ dim: Int,
                                        _ kernel: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64, Int64) -> Void) -> Tensor {
        let d = y.axis(dim), last = d == y.rank - 1
        let yc = last ? y : y.movedim(d, -1).contiguousData()
        let gc = last ? g.contiguousData() : g.movedim(d, -1).contiguousData()
        let n = y.shape[d], rows = y.count / Swift.max(n, 1)
        let out = Tensor(uninitialized: yc.shape)
        let (py, pg, po) = (yc.pointer, gc.pointer, out.pointer)
        Threads.parallelFor(rows, grain: Swift.max(1, elementGrain / Swift.max(n, 1))) { r in
            kernel(py + r.lowerBound * n, pg + r.lowerBound * n, po + r.lowerBound * n, Int64(r.count), Int64(n))
        }
        return last ? out : out.movedim(-1, d).contiguousData()
    }

    /// `exp(x_i) / sum_j exp(x_j)` along `dim` (max-subtracted).
    public func softmax(dim: Int = -1) -> Tensor {
        let y = rowwise(dim, pk_softmax_rows)
        return y.recorded("softmax", [self]) { g in [Tensor.rowwiseBackward(y, g, dim, pk_softmax_backward_rows)] }
    }

    /// `x_i - log sum_j exp(x_j)` along `dim`.
    public func logSoftmax(dim: Int = -1) -> Tensor {
        let y = rowwise(dim, pk_log_softmax_rows)
        return y.recorded("log_softmax", [self]) { g in [Tensor.rowwiseBackward(y, g, dim, pk_log_softmax_backward_rows)] }
    }
}
