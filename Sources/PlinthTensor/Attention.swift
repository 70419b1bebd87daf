import PlinthKernels

// Legend: B batch, H heads, Tq query tokens, Tk key tokens, E head width (Ev for values).

/// Where the heads of a [B, H, T, E] operand live: element (b, h, t, e) is at
/// `base + b*batch + h*head + t*row + e` (the last dimension is dense).
struct HeadLayout {
    let base: UnsafeMutablePointer<Float>
    let batch: Int, head: Int, row: Int

    init(_ base: UnsafeMutablePointer<Float>, batch: Int, head: Int, row: Int) {
        (self.base, self.batch, self.head, self.row) = (base, batch, head, row)
    }

    /// The layout of a 4-D tensor whose last dimension is dense.
    init(_ t: Tensor) { self.init(t.pointer, batch: t.strides[0], head: t.strides[1], row: t.strides[2]) }

    func at(_ bh: Int, heads: Int) -> UnsafeMutablePointer<Float> { base + (bh / heads) * batch + (bh % heads) * head }
}

/// Sizes and options of one attention call.
struct AttentionShape {
    let b: Int, h: Int, tq: Int, tk: Int, e: Int, ev: Int
    let scale: Float, causal: Bool
    /// Additive mask expanded to [B, H, Tq, Tk].
    let mask: Tensor?
}

/// Writes the scaled, masked scores of head `bh` into `p` [Tq, Tk]:
/// `q k^T * scale + mask`, with -inf above the diagonal when causal.
private func attentionScores(_ s: AttentionShape, _ bh: Int, q: HeadLayout, k: HeadLayout, into p: UnsafeMutablePointer<Float>) {
    let (tq, tk) = (s.tq, s.tk)
    sgemm(false, true, tq, tk, s.e, alpha: s.scale, q.at(bh, heads: s.h), q.row, k.at(bh, heads: s.h), k.row, p, tk)
    if let m = s.mask {
        let mp = m.pointer + (bh / s.h) * m.strides[0] + (bh % s.h) * m.strides[1]
        for i in 0..<tq { for j in 0..<tk { p[i * tk + j] += mp[i * m.strides[2] + j * m.strides[3]] } }
    }
    if s.causal { for i in 0..<tq where i + 1 < tk { for j in (i + 1)..<tk { p[i * tk + j] = -.infinity } } }
}

/// softmax(q k^T * scale + mask) v for every (batch, head), in parallel over
/// heads with single-threaded BLAS. Returns the log-sum-exp of each score row
/// [B, H, Tq]: the backward pass recomputes the probabilities from it instead
/// of keeping B*H*Tq*Tk of them alive (as PyTorch's fused CPU kernel does).
func attentionForward(_ s: AttentionShape, q: HeadLayout, k: HeadLayout, v: HeadLayout, out: HeadLayout) -> Tensor {
    let lse = Tensor(uninitialized: [s.b, s.h, s.tq])
    let (tq, tk) = (s.tq, s.tk)
    Threads.withSingleThreadedBLAS {
        Threads.parallelFor(s.b * s.h) { r in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
            defer { p.deallocate() }
            for bh in r {
                attentionScores(s, bh, q: q, k: k, into: p)
                pk_logsumexp_rows(p, lse.pointer + bh * tq, Int64(tq), Int64(tk))
                pk_softmax_rows(p, p, Int64(tq), Int64(tk))
                sgemm(false, false, tq, s.ev, tk, p, tk, v.at(bh, heads: s.h), v.row, out.at(bh, heads: s.h), out.row)
            }
        }
    }
    return lse
}

/// Gradients of `attentionForward` for upstream gradient `g`, written into the
/// gq, gk, gv layouts (every element of each is overwritten).
func attentionBackward(_ s: AttentionShape, lse: Tensor, q: HeadLayout, k: HeadLayout, v: HeadLayout, g: HeadLayout,
                       gq: HeadLayout, gk: HeadLayout, gv: HeadLayout) {
    let (tq, tk) = (s.tq, s.tk)
    Threads.withSingleThreadedBLAS {
        Threads.parallelFor(s.b * s.h) { r in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: 2 * tq * tk)
            defer { p.deallocate() }
            let ds = p + tq * tk
            for bh in r {
                // P = exp(S - lse), recomputed row by row.
                attentionScores(s, bh, q: q, k: k, into: p)
                for i in 0..<tq {
                    pk_add_scalar(p + i * tk, -lse.pointer[bh * tq + i], p + i * tk, Int64(tk))
                    pk_exp(p + i * tk, p + i * tk, Int64(tk))
                }
                let go = g.at(bh, heads: s.h)
                // dV = P^T dO; dP = dO V^T; dS = softmax'(dP); dQ = s dS K; dK = s dS^T Q.
                sgemm(true, false, tk, s.ev, tq, p, tk, go, g.row, gv.at(bh, heads: s.h), gv.row)
                sgemm(false, true, tq, tk, s.ev, go, g.row, v.at(bh, heads: s.h), v.row, ds, tk)
                pk_softmax_backward_rows(p, ds, ds, Int64(tq), Int64(tk))
                sgemm(false, false, tq, s.e, tk, alpha: s.scale, ds, tk, k.at(bh, heads: s.h), k.row, gq.at(bh, heads: s.h), gq.row)
                sgemm(true, false, tk, s.e, tq, alpha: s.scale, ds, tk, q.at(bh, heads: s.h), q.row, gk.at(bh, heads: s.h), gk.row)
            }
        }
    }
}

extension Tensor {
    /// Scaled dot-product attention, fused, with its own backward.
    ///
    /// q [B, H, Tq, E], k [B, H, Tk, E], v [B, H, Tk, Ev] -> [B, H, Tq, Ev]:
    /// `softmax(q k^T * scale + mask) v` (Vaswani et al. 2017), scale defaults
    /// to 1/sqrt(E). `mask` is additive (0 to keep, -inf to drop) and
    /// broadcasts to [B, H, Tq, Tk]; `causal` lets query i see keys 0...i
    /// (aligned top-left, as PyTorch's `is_causal`). A row with every key
    /// masked gives NaN, as in PyTorch. Inputs whose last dimension is dense
    /// (such as head views of a fused projection) are read in place.
    ///
    /// The result is laid out as [B, Tq, H, Ev] in memory, so
    /// `.transpose(1, 2).reshape([B, Tq, H * Ev])` needs no copy.
    public static func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor? = nil,
                                                 causal: Bool = false, scale: Float? = nil) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention: expected [B, H, T, E], got \(q.shape) \(k.shape) \(v.shape)")
        let (b, h, tq, e) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (tk, ev) = (k.shape[2], v.shape[3])
        precondition(k.shape == [b, h, tk, e] && v.shape == [b, h, tk, ev],
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) do not match")
        func dense(_ t: Tensor) -> Tensor { t.strides[3] == 1 && t.strides[2] >= t.shape[3] ? t : t.contiguousData() }
        let (qd, kd, vd) = (dense(q), dense(k), dense(v))
        let s = AttentionShape(b: b, h: h, tq: tq, tk: tk, e: e, ev: ev, scale: scale ?? 1 / Float(e).squareRoot(),
                               causal: causal, mask: mask.map { $0.expandView([b, h, tq, tk]) })
        let storage = Tensor(uninitialized: [b, tq, h, ev])
        let out = Tensor(storage: storage.storage, shape: [b, h, tq, ev], strides: [tq * h * ev, ev, h * ev, 1])
        let lse = attentionForward(s, q: HeadLayout(qd), k: HeadLayout(kd), v: HeadLayout(vd), out: HeadLayout(out))
        return out.recorded("attention", [q, k, v]) { g in
            let gq = Tensor(uninitialized: [b, h, tq, e]), gk = Tensor(uninitialized: [b, h, tk, e])
            let gv = Tensor(uninitialized: [b, h, tk, ev])
            attentionBackward(s, lse: lse, q: HeadLayout(qd), k: HeadLayout(kd), v: HeadLayout(vd),
                              g: HeadLayout(dense(g)), gq: HeadLayout(gq), gk: HeadLayout(gk), gv: HeadLayout(gv))
            return [gq, gk, gv]
        }
    }

    /// Self-attention straight from a fused projection, as in
    /// `nn.MultiheadAttention`: qkv [B, T, 3D] holds q, k and v side by side
    /// (each D = H*E wide, head-major); the result is [B, T, D] with heads
    /// side by side again. No transposes or copies on either pass, and the
    /// gradient comes back packed like the input.
    public static func selfAttention(packed qkv: Tensor, heads: Int, mask: Tensor? = nil, causal: Bool = false) -> Tensor {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0,
                     "selfAttention: expected [B, T, 3 * heads * E], got \(qkv.shape) for \(heads) heads")
        let (b, t, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let e = d / heads
        let x = qkv.contiguousData()
        let s = AttentionShape(b: b, h: heads, tq: t, tk: t, e: e, ev: e, scale: 1 / Float(e).squareRoot(),
                               causal: causal, mask: mask.map { $0.expandView([b, heads, t, t]) })
        func part(_ base: Tensor, _ i: Int, width: Int) -> HeadLayout {
            HeadLayout(base.pointer + i * d, batch: t * width, head: e, row: width)
        }
        let out = Tensor(uninitialized: [b, t, d])
        let lse = attentionForward(s, q: part(x, 0, width: 3 * d), k: part(x, 1, width: 3 * d), v: part(x, 2, width: 3 * d),
                                     out: part(out, 0, width: d))
        return out.recorded("self_attention", [qkv]) { g in
            let gc = g.contiguousData()
            let gx = Tensor(uninitialized: [b, t, 3 * d])
            attentionBackward(s, lse: lse, q: part(x, 0, width: 3 * d), k: part(x, 1, width: 3 * d),
                              v: part(x, 2, width: 3 * d), g: part(gc, 0, width: d),
                              gq: part(gx, 0, width: 3 * d), gk: part(gx, 1, width: 3 * d), gv: part(gx, 2, width: 3 * d))
            return [gx]
        }
    }

    /// An additive attention mask [B, 1, 1, T] from per-sequence key lengths:
    /// key positions at or past `lengths[b]` get -inf.
    public static func keyPaddingMask(lengths: [Int], maxLength t: Int) -> Tensor {
        let m = Tensor.zeros([lengths.count, 1, 1, t])
        for (bi, len) in lengths.enumerated() where len < t {
            for j in len..<t { m.pointer[bi * t + j] = -.infinity }
        }
        return m
    }

    /// The additive causal mask [T, T]: -inf above the diagonal (open_clip's text mask).
    public static func causalMask(_ t: Int) -> Tensor {
        let m = Tensor.zeros([t, t])
        for i in 0..<t where i + 1 < t { for j in (i + 1)..<t { m.pointer[i * t + j] = -.infinity } }
        return m
    }
}
