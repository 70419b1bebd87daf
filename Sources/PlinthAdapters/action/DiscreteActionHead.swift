import PlinthNN

// Legend: B batch, D readout width, K horizon, A action width, N bins.

/// RT-2 / OpenVLA's action tokens (Brohan et al. 2023; Kim et al. 2024): each
/// normalized action dimension in [-1, 1] is cut into N uniform bins, and the
/// head predicts each of the K·A tokens with a softmax over the bins, trained
/// with cross-entropy; a predicted token becomes its bin's centre.
///
/// Keys: `proj.*` (D -> K·A·N).
public final class DiscreteActionHead: ActionHead {
    public let proj: Linear
    public let (horizon, actionDimension, bins): (Int, Int, Int)
    public var isTraining = true

    public init(width d: Int, horizon k: Int, actionDimension a: Int, bins n: Int, generator: RandomGenerator = .default) {
        (horizon, actionDimension, bins) = (k, a, n)
        proj = Linear(d, k * a * n, generator: generator)
    }

    public var items: [(String, ModuleItem)] { [("proj", .module(proj))] }

    /// The bin of a normalized value: floor((x + 1) / 2 · N), clamped to 0..<N.
    public func bin(_ x: Float) -> Int { min(max(Int(((x + 1) / 2 * Float(bins)).rounded(.down)), 0), bins - 1) }

    /// The centre of bin i: -1 + (i + 1/2) · 2 / N.
    public func centre(_ i: Int) -> Float { -1 + (Float(i) + 0.5) * 2 / Float(bins) }

    public func loss(_ readout: Tensor, actions: Tensor, mask: Tensor, generator: RandomGenerator) -> Tensor {
        let b = readout.shape[0], tokens = horizon * actionDimension
        let values = actions.contiguous().toArray(), keep = mask.contiguous().toArray()
        let targets = values.indices.map { i in keep[i / actionDimension] > 0 ? bin(values[i]) : -100 }   // [B·K·A]
        return Tensor.crossEntropy(proj(readout).reshape([b * tokens, bins]), targets: targets)
    }

    public func predict(_ readout: Tensor, generator: RandomGenerator) -> Tensor {
        let b = readout.shape[0]
        let tokens = proj(readout).reshape([b * horizon * actionDimension, bins]).argmax(dim: 1)
        return Tensor(tokens.map(centre), shape: [b, horizon, actionDimension])
    }
}
