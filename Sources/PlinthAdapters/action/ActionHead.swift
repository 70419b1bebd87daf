import PlinthNN

// Legend: B batch, D readout width, K horizon, A action width.

/// What every action head does with the trunk's readout [B, D]; actions are
/// normalized (`ActionNormalization`) chunks [B, K, A] in [-1, 1].
public protocol ActionHead: Module {
    /// The behaviour-cloning loss against demonstrated chunks, ignoring steps where `mask` [B, K] is 0.
    func loss(_ readout: Tensor, actions: Tensor, mask: Tensor, generator: RandomGenerator) -> Tensor
    /// The head's chunk for each row, [B, K, A].
    func predict(_ readout: Tensor, generator: RandomGenerator) -> Tensor
}

/// Mean of `values` [B, K, ...] over the entries whose step is kept by `mask` [B, K].
func maskedMean(_ values: Tensor, mask: Tensor) -> Tensor {
    let perStep = values.reshape([mask.shape[0], mask.shape[1], -1]).mean(dim: 2)       // [B, K]
    return (perStep * mask).sum() / max(mask.sum().item(), 1)
}
