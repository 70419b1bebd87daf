extension Tensor {
    /// x / max(||x||₂, eps) along `dim` (PyTorch's `F.normalize`), differentiable.
    public func l2Normalized(dim: Int = -1, eps: Float = 1e-12) -> Tensor {
        self / square().sum(dim: dim, keepdim: true).sqrt().clamp(min: eps)
    }
}
