import PlinthKernels

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
        let scale = scale ?? 1 / Float(e).squareRoot()
        func dense(_ t: Tensor) -> Tensor { t.strides[3] == 1 && t.strides[2] >= t.shape[3] ? t : t.contiguousData() }
        let (qd, kd, vd) = (dense(q), dense(k), dense(v))
        let m = mask.map { $0.expandView([b, h, tq, tk]) }
        let probs = Tensor(uninitialized: [b, h, tq, tk])
        let outStorage = Tensor(uninitialized: [b, tq, h, ev])
        let out = Tensor(storage: outStorage.storage, shape: [b, h, tq, ev], strides: [tq * h * ev, ev, h * ev, 1])

        func at(_ t: Tensor, _ bh: Int) -> UnsafeMutablePointer<Float> { t.pointer + (bh / h) * t.strides[0] + (bh % h) * t.strides[1] }
        Threads.withSingleThreadedBLAS {
            Threads.parallelFor(b * h) { r in
                for bh in r {
                    let p = probs.pointer + bh * tq * tk
                    sgemm(false, true, tq, tk, e, alpha: scale, at(qd, bh), qd.strides[2], at(kd, bh), kd.strides[2], p, tk)
                    if let m {
                        let mp = at(m, bh)
                        for i in 0..<tq { for j in 0..<tk { p[i * tk + j] += mp[i * m.strides[2] + j * m.strides[3]] } }
                    }
                    if causal { for i in 0..<tq where i + 1 < tk { for j in (i + 1)..<tk { p[i * tk + j] = -.infinity } } }
                    pk_softmax_rows(p, p, Int64(tq), Int64(tk))
                    sgemm(false, false, tq, ev, tk, p, tk, at(vd, bh), vd.strides[2], at(out, bh), out.strides[2])
                }
            }
        }
        return out.recorded("attention", [q, k, v]) { g in
            let gq = Tensor(uninitialized: [b, h, tq, e]), gk = Tensor(uninitialized: [b, h, tk, e])
            let gv = Tensor(uninitialized: [b, h, tk, ev])
            let gd = dense(g)
            Threads.withSingleThreadedBLAS {
                Threads.parallelFor(b * h) { r in
                    let ds = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
                    defer { ds.deallocate() }
                    for bh in r {
                        let p = probs.pointer + bh * tq * tk
                        let (go, ldg) = (at(gd, bh), gd.strides[2])
                        // dV = P^T dO; dP = dO V^T; dS = softmax'(dP); dQ = s dS K; dK = s dS^T Q.
                        sgemm(true, false, tk, ev, tq, p, tk, go, ldg, gv.pointer + bh * tk * ev, ev)
                        sgemm(false, true, tq, tk, ev, go, ldg, at(vd, bh), vd.strides[2], ds, tk)
                        pk_softmax_backward_rows(p, ds, ds, Int64(tq), Int64(tk))
                        sgemm(false, false, tq, e, tk, alpha: scale, ds, tk, at(kd, bh), kd.strides[2], gq.pointer + bh * tq * e, e)
                        sgemm(true, false, tk, e, tq, alpha: scale, ds, tk, at(qd, bh), qd.strides[2], gk.pointer + bh * tk * e, e)
                    }
                }
            }
            return [gq, gk, gv]
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
