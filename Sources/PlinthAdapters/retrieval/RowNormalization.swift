import PlinthTensor

/// Row-wise L2 normalization shared by the index, the zero-shot classifier and
/// the retrieval metrics.
///
/// `x` [R, E] (any layout) -> a new contiguous [R, E] holding `x / max(‖x‖₂, eps)`
/// per row, as `torch.nn.functional.normalize(x, dim=-1)` does (a zero row stays
/// zero), plus each row's norm so callers can reject zero or non-finite rows.
/// Squares are summed in Double; not recorded by autograd.
func l2NormalizedRows(_ x: Tensor, eps: Float = 1e-12) -> (normalized: Tensor, norms: [Float]) {
    precondition(x.rank == 2, "l2NormalizedRows: need a 2-D [R, E] tensor, got \(x.shape)")
    let (rows, e) = (x.shape[0], x.shape[1])
    let source = withNoGrad { x.contiguous() }
    let out = Tensor(uninitialized: [rows, e])
    var norms = [Float](repeating: 0, count: rows)
    let (px, po) = (source.pointer, out.pointer)
    norms.withUnsafeMutableBufferPointer { buffer in
        let pn = buffer.baseAddress!
        Threads.parallelFor(rows, grain: max(1, 65536 / max(e, 1))) { range in
            for r in range {
                let row = px + r * e
                var sum: Double = 0
                for j in 0..<e { sum += Double(row[j]) * Double(row[j]) }
                let norm = Float(sum.squareRoot())
                pn[r] = norm
                let divisor = max(norm, eps)
                for j in 0..<e { po[r * e + j] = row[j] / divisor }
            }
        }
    }
    return (out, norms)
}
