import PlinthKernels

extension Tensor {
    /// Layer normalization over the last dimension, fused with its backward.
    ///
    /// x [..., D], weight and bias [D] (optional):
    /// `y = (x - mean) / sqrt(var + eps) * weight + bias`, biased variance
    /// (Ba et al. 2016; PyTorch's `F.layer_norm`).
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let d = x.shape.last ?? 1
        let rows = x.count / Swift.max(d, 1)
        let xc = x.contiguousData()
        let w = weight?.contiguousData(), b = bias?.contiguousData()
        let y = Tensor(uninitialized: x.shape)
        let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
        let (px, pw, pb, py, pm, pr) = (xc.pointer, w?.pointer, b?.pointer, y.pointer, mean.pointer, rstd.pointer)
        let grain = Swift.max(1, elementGrain / Swift.max(d, 1))
        Threads.parallelFor(rows, grain: grain) { r in
            let s = r.lowerBound
            pk_layer_norm_rows(px + s * d, pw, pb, py + s * d, pm + s, pr + s, Int64(r.count), Int64(d), eps)
        }
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return y.recorded("layer_norm", inputs) { g in
            let gc = g.contiguousData()
            let gx = Tensor(uninitialized: x.shape)
            // Each chunk accumulates its own weight/bias gradients; they are summed after.
            let chunks = Swift.max(1, Swift.min(Threads.count, rows / grain))
            let gwParts = Tensor.zeros([chunks, d]), gbParts = Tensor.zeros([chunks, d])
            let (px, pw, pm, pr) = (xc.pointer, w?.pointer, mean.pointer, rstd.pointer)
            let (pg, pgx, pgw, pgb) = (gc.pointer, gx.pointer, gwParts.pointer, gbParts.pointer)
            Threads.parallelFor(chunks) { cr in
                for c in cr {
                    let lo = c * rows / chunks, hi = (c + 1) * rows / chunks
                    pk_layer_norm_backward_rows(px + lo * d, pw, pm + lo, pr + lo, pg + lo * d, pgx + lo * d,
                                                pgw + c * d, pgb + c * d, Int64(hi - lo), Int64(d))
                }
            }
            var grads: [Tensor?] = [gx]
            if weight != nil { grads.append(gwParts.sum(dim: 0)) }
            if bias != nil { grads.append(gbParts.sum(dim: 0)) }
            return grads
        }
    }
}
