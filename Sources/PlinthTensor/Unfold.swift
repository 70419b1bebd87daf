extension Tensor {
    /// Extracts sliding patches for patch embeddings (im2col).
    ///
    /// x [B, C, H, W] -> [B, L, C*kh*kw] with L = oh*ow patches in row-major
    /// order, oh = (H - kh) / sh + 1, ow = (W - kw) / sw + 1. Each patch is
    /// flattened as (c, i, j), matching a conv weight [D, C, kh, kw] reshaped to
    /// [D, C*kh*kw], so `unfold(x) @ w.T` equals a strided convolution.
    /// Overlapping patches (stride < kernel) add their gradients.
    public func unfold(kernel: (Int, Int), stride: (Int, Int)) -> Tensor {
        precondition(rank == 4, "unfold: expected [B, C, H, W], got \(shape)")
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (kh, kw) = kernel, (sh, sw) = stride
        precondition(kh <= h && kw <= w && sh > 0 && sw > 0, "unfold: kernel \(kernel) stride \(stride) for \(shape)")
        let (oh, ow) = ((h - kh) / sh + 1, (w - kw) / sw + 1)
        let (l, f) = (oh * ow, c * kh * kw)
        let x = contiguousData()
        let out = Tensor(uninitialized: [b, l, f])
        // Calls `body(patchOffset, imageOffset)` for every (patch row, kernel row) run of kw values.
        func forEachRun(_ bi: Int, _ body: (Int, Int) -> Void) {
            for py in 0..<oh { for px in 0..<ow { for ci in 0..<c { for i in 0..<kh {
                body(((bi * l + py * ow + px) * c + ci) * kh * kw + i * kw,
                     ((bi * c + ci) * h + py * sh + i) * w + px * sw)
            } } } }
        }
        let (pxs, po) = (x.pointer, out.pointer)
        Threads.parallelFor(b) { r in
            for bi in r { forEachRun(bi) { o, s in (po + o).update(from: pxs + s, count: kw) } }
        }
        let inputShape = shape
        return out.recorded("unfold", [self]) { g in
            let gc = g.contiguousData()
            let gx = Tensor.zeros(inputShape)
            let (pg, pgx) = (gc.pointer, gx.pointer)
            Threads.parallelFor(b) { r in
                for bi in r { forEachRun(bi) { o, s in for j in 0..<kw { pgx[s + j] += pg[o + j] } } }
            }
            return [gx]
        }
    }
}
