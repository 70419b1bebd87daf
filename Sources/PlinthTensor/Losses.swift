import Foundation
import PlinthKernels

extension Tensor {
    /// Mean cross-entropy between logits [N, C] and class targets.
    ///
    /// Targets equal to `ignoreIndex` contribute nothing and are left out of the
    /// mean. With label smoothing ε the target distribution is
    /// `(1 - ε) one_hot + ε / C` (Szegedy et al. 2016; PyTorch's
    /// `F.cross_entropy`). Fused log-softmax + NLL with its own backward.
    public static func crossEntropy(_ logits: Tensor, targets: [Int], labelSmoothing: Float = 0,
                                    ignoreIndex: Int = -100) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "crossEntropy: logits \(logits.shape) for \(targets.count) targets")
        let (n, c) = (logits.shape[0], logits.shape[1])
        let logp = Tensor(uninitialized: [n, c])
        let x = logits.contiguousData()
        pk_log_softmax_rows(x.pointer, logp.pointer, Int64(n), Int64(c))
        let eps = labelSmoothing
        var total: Double = 0, used = 0
        for (i, t) in targets.enumerated() where t != ignoreIndex {
            precondition(t >= 0 && t < c, "crossEntropy: target \(t) at row \(i) out of range for \(c) classes")
            let row = logp.pointer + i * c
            total -= Double((1 - eps) * row[t])
            if eps > 0 { total -= Double(eps / Float(c) * pk_sum(row, Int64(c))) }
            used += 1
        }
        let loss = Tensor(scalar: used == 0 ? .nan : Float(total / Double(used)))
        return loss.recorded("cross_entropy", [logits]) { g in
            let gx = Tensor.zeros([n, c])
            let scale = g.item() / Float(Swift.max(used, 1))
            for (i, t) in targets.enumerated() where t != ignoreIndex {
                let row = logp.pointer + i * c, dst = gx.pointer + i * c
                for j in 0..<c { dst[j] = scale * (Foundation.exp(row[j]) - eps / Float(c)) }
                dst[t] -= scale * (1 - eps)
            }
            return [gx]
        }
    }

    /// Mean squared error over all elements.
    public static func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let d = prediction - target
        return (d * d).mean()
    }
}
