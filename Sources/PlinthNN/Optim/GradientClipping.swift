/// Scales all gradients so their global L2 norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`). Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    let grads = parameters.compactMap(\.grad)
    let total = withNoGrad { grads.reduce(Float(0)) { $0 + ($1 * $1).sum().item() } }.squareRoot()
    let scale = maxNorm / (total + 1e-6)
    if scale < 1 {
        for g in grads { g.assign(withNoGrad { g * scale }) }
    }
    return total
}
