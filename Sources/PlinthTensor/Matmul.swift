extension Tensor {
    /// How BLAS can read the last two dimensions in place: row-major
    /// (`trans` false) or column-major (`trans` true) with leading dimension
    /// `ld`; nil when neither fits and a copy is needed.
    var matrixLayout: (trans: Bool, ld: Int)? {
        let r = shape[rank - 2], c = shape[rank - 1], sr = strides[rank - 2], sc = strides[rank - 1]
        if (sc == 1 || c == 1) && (r == 1 || sr >= Swift.max(c, 1)) { return (false, r == 1 ? Swift.max(c, 1) : sr) }
        if (sr == 1 || r == 1) && (c == 1 || sc >= Swift.max(r, 1)) { return (true, c == 1 ? Swift.max(r, 1) : sc) }
        return nil
    }

    /// Matrix product over the last two dimensions, broadcasting the leading
    /// (batch) dimensions: [..., M, K] x [..., K, N] -> [..., M, N].
    ///
    /// A 2-D right operand with a contiguous batched left operand is one GEMM
    /// over [B*M, K]. Transposed views are passed to BLAS without copies. Many
    /// small products run in parallel over the batch with single-threaded BLAS.
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul: need at least 2-D operands, got \(a.shape) and \(b.shape)")
        let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
        precondition(b.shape[b.rank - 2] == k, "matmul: inner dimensions differ in \(a.shape) x \(b.shape)")
        let out: Tensor
        if b.rank == 2 && (a.rank == 2 || a.isContiguous) {
            let a2 = a.matrixLayout == nil ? a.contiguousData() : a
            let b2 = b.matrixLayout == nil ? b.contiguousData() : b
            let rows = a.count / Swift.max(k, 1)
            out = Tensor(uninitialized: Array(a.shape.dropLast()) + [n])
            let (la, lb) = (a.rank == 2 ? a2.matrixLayout! : (trans: false, ld: k), b2.matrixLayout!)
            sgemm(la.trans, lb.trans, rows, n, k, a2.pointer, la.ld, b2.pointer, lb.ld, out.pointer, n)
        } else {
            out = batchedMatmul(a, b, m, k, n)
        }
        return out.recorded("matmul", [a, b]) { g in
            var ga: Tensor?, gb: Tensor?
            if a.requiresGrad { ga = matmul(g, b.T).sumTo(a.shape) }
            if b.requiresGrad {
                gb = b.rank == 2 && a.rank > 2
                    ? matmul(a.reshape([-1, k]).T, g.reshape([-1, n]))
                    : matmul(a.T, g).sumTo(b.shape)
            }
            return [ga, gb]
        }
    }

    private static func batchedMatmul(_ a: Tensor, _ b: Tensor, _ m: Int, _ k: Int, _ n: Int) -> Tensor {
        let batch = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        let ae = (a.matrixLayout == nil ? a.contiguousData() : a).expandView(batch + [m, k])
        let be = (b.matrixLayout == nil ? b.contiguousData() : b).expandView(batch + [k, n])
        let (la, lb) = (ae.matrixLayout!, be.matrixLayout!)
        let out = Tensor(uninitialized: batch + [m, n])
        let count = Tensor.count(batch)
        func batchOffset(_ t: Tensor, _ i: Int) -> Int {
            var rem = i, off = 0
            for d in stride(from: batch.count - 1, through: 0, by: -1) {
                off += (rem % batch[d]) * t.strides[d]
                rem /= batch[d]
            }
            return off
        }
        let (pa, pb, po) = (ae.pointer, be.pointer, out.pointer)
        let run = { (i: Int) in
            sgemm(la.trans, lb.trans, m, n, k, pa + batchOffset(ae, i), la.ld, pb + batchOffset(be, i), lb.ld,
                  po + i * m * n, n)
        }
        if count > 1 && m * n * k < 1 << 22 {
            Threads.withSingleThreadedBLAS {
                Threads.parallelFor(count) { r in for i in r { run(i) } }
            }
        } else {
            for i in 0..<count { run(i) }
        }
        return out
    }

    /// `x @ weight.T + bias`, the affine map of a Linear layer.
    ///
    /// x [..., I], weight [O, I], bias [O] -> [..., O]. One GEMM over all rows,
    /// with the bias as GEMM's initial C.
    public static func linear(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
        let (o, i) = (weight.shape[0], weight.shape[1])
        precondition(weight.rank == 2 && x.shape.last == i, "linear: input \(x.shape) with weight \(weight.shape)")
        if let bias { precondition(bias.shape == [o], "linear: bias \(bias.shape) for weight \(weight.shape)") }
        let xc = x.contiguousData(), w = weight.contiguousData()
        let rows = x.count / Swift.max(i, 1)
        let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [o])
        if let bias {
            let (pb, po) = (bias.contiguousData().pointer, out.pointer)
            Threads.parallelFor(rows, grain: Swift.max(1, elementGrain / Swift.max(o, 1))) { r in
                for row in r { (po + row * o).update(from: pb, count: o) }
            }
        }
        sgemm(false, true, rows, o, i, xc.pointer, i, w.pointer, i, beta: bias == nil ? 0 : 1, out.pointer, o)
        return out.recorded("linear", bias.map { [x, weight, $0] } ?? [x, weight]) { g in
            let g2 = g.reshape([rows, o])
            var grads: [Tensor?] = [
                x.requiresGrad ? Tensor.matmul(g2, w).reshape(x.shape) : nil,
                weight.requiresGrad ? Tensor.matmul(g2.T, xc.reshape([rows, i])) : nil,
            ]
            if let bias { grads.append(bias.requiresGrad ? g2.sum(dim: 0) : nil) }
            return grads
        }
    }
}
