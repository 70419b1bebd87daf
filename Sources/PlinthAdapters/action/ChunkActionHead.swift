import PlinthNN

// Legend: B batch, D readout width, K horizon, A action width, F hidden width.

/// ACT's action chunking (Zhao et al. 2023): an MLP regresses the next K
/// normalized actions at once, trained with L1; at execution the overlapping
/// chunks are averaged by `TemporalEnsemble`.
///
/// Keys: `fc1.*` (D -> F), `fc2.*` (F -> K·A).
public final class ChunkActionHead: ActionHead {
    public let fc1: Linear
    public let fc2: Linear
    public let (horizon, actionDimension): (Int, Int)
    public var isTraining = true

    public init(width d: Int, hidden f: Int, horizon k: Int, actionDimension a: Int, generator: RandomGenerator = .default) {
        (horizon, actionDimension) = (k, a)
        fc1 = Linear(d, f, generator: generator)
        fc2 = Linear(f, k * a, generator: generator)
    }

    public var items: [(String, ModuleItem)] { [("fc1", .module(fc1)), ("fc2", .module(fc2))] }

    public func loss(_ readout: Tensor, actions: Tensor, mask: Tensor, generator: RandomGenerator) -> Tensor {
        maskedMean((predict(readout, generator: generator) - actions).abs(), mask: mask)
    }

    public func predict(_ readout: Tensor, generator: RandomGenerator) -> Tensor {
        fc2(fc1(readout).gelu()).reshape([readout.shape[0], horizon, actionDimension])         // [B, K, A]
    }
}
