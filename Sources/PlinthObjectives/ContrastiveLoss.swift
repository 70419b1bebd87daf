import Foundation
import PlinthNN

// Legend: B batch, E joint width.

/// CLIP's symmetric InfoNCE between two batches of paired embeddings:
/// logits = exp(s) · â b̂ᵀ with â, b̂ L2-normalized rows, and
/// loss = (CE(logits, i) + CE(logitsᵀ, i)) / 2 where row i's positive is column i.
/// a [B, E], b [B, E], logitScale s [] -> loss [].
/// Radford et al. 2021; van den Oord et al. 2018 (InfoNCE).
public func contrastiveLoss(_ a: Tensor, _ b: Tensor, logitScale: Tensor) -> Tensor {
    precondition(a.rank == 2 && a.shape == b.shape, "contrastiveLoss: embeddings \(a.shape) and \(b.shape) differ")
    let logits = Tensor.matmul(a.l2Normalized(), b.l2Normalized().T) * logitScale.exp()   // [B, B]
    let targets = Array(0..<a.shape[0])
    return (Tensor.crossEntropy(logits, targets: targets) + Tensor.crossEntropy(logits.T, targets: targets)) * 0.5
}

/// The InfoNCE terms of the anchor rows `rows` only, both ways, against every
/// row as a candidate: the mean over `rows` of (CE(exp(s) · â_i b̂ᵀ, i) +
/// CE(exp(s) · b̂_i âᵀ, i)) / 2. This is open_clip's local loss: a rank
/// computes it for its own rows of the gathered global batch, and the mean
/// over ranks (equal row counts) is the full loss. With every row, it is
/// ``contrastiveLoss(_:_:logitScale:)``.
/// a [B, E], b [B, E], logitScale s [], rows (distinct, in 0..<B) -> loss [].
public func contrastiveLoss(_ a: Tensor, _ b: Tensor, logitScale: Tensor, rows: [Int]) -> Tensor {
    precondition(a.rank == 2 && a.shape == b.shape, "contrastiveLoss: embeddings \(a.shape) and \(b.shape) differ")
    precondition(!rows.isEmpty, "contrastiveLoss: no anchor rows")
    let (na, nb) = (a.l2Normalized(), b.l2Normalized())
    let scale = logitScale.exp()
    let ab = Tensor.matmul(na.indexSelect(dim: 0, indices: rows), nb.T) * scale              // [R, B]
    let ba = Tensor.matmul(nb.indexSelect(dim: 0, indices: rows), na.T) * scale              // [R, B]
    return (Tensor.crossEntropy(ab, targets: rows) + Tensor.crossEntropy(ba, targets: rows)) * 0.5
}

/// The upper bound open_clip keeps the logit scale under: ln(100).
public let maximumLogitScale = Float(Foundation.log(100.0))

/// Clamps the learnable logit scale in place to [0, ln(100)] after an optimizer step, as open_clip does.
public func clampLogitScale(_ logitScale: Tensor) {
    withNoGrad { logitScale.assign(logitScale.clamp(min: 0, max: maximumLogitScale)) }
}
