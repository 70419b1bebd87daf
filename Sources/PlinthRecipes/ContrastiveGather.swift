import PlinthData
import PlinthDistributed
import PlinthTensor

// Legend: b this rank's batch rows, N ranks, n_r rows of a field on rank r, E joint width.

/// How the contrastive loss of a data-parallel run sees the other ranks'
/// rows: every rank's features are all-gathered, so the loss is taken against
/// the global batch (open_clip's `gather_with_grad` and `local_loss`).
///
/// The gathered features are a fresh leaf: the loss is back-propagated to it,
/// its gradient is summed over ranks and each rank's own rows go back through
/// its towers (with `withGradient`), or each rank keeps only its own loss's
/// gradient for its rows (without). With `withGradient`, either loss gives,
/// after the trainer averages the parameter gradients, exactly the gradient
/// of one process on the global batch. Without it the gradient is the
/// local rows' share only (1/N of it for the full loss), as in open_clip.
public struct ContrastiveGather {
    public let communicator: Communicator
    /// Each rank takes only its own rows as anchors against all (else every rank takes the full loss).
    public let localLoss: Bool
    /// The gathered features' gradients are summed over ranks (reduce-scatter) before they reach the towers.
    public let withGradient: Bool

    public init(communicator: Communicator, localLoss: Bool, withGradient: Bool) {
        self.communicator = communicator
        self.localLoss = localLoss
        self.withGradient = withGradient
    }

    /// `step`'s loss on the global batch assembled from every rank's `features`
    /// (this rank's b `rows`), back-propagated to this rank's features; returns
    /// this rank's loss (the full one, or its anchors' share), 0 without
    /// anchors, nan when no pair has two rows anywhere. Every rank calls it
    /// with the same fields, in step.
    func backward(_ step: ContrastiveStep, _ features: [Field: ContrastiveStep.Features], rows: Int,
                  logitScale: Tensor, width: Int) throws -> Float {
        let (rank, ranks) = (communicator.rank, communicator.size)
        var global: [Field: ContrastiveStep.Features] = [:]
        var gathered: [(field: Field, leaf: Tensor, counts: [Int])] = []
        for field in step.fields {
            let local = features[field]?.tensor                                                   // [n_rank, E]
            let (all, counts) = try communicator.allGatherRows(local?.detach(), trailing: [width])  // [Σ n_r, E]
            guard let all else { continue }
            all.requiresGrad = true
            gathered.append((field, all, counts))
            // With every row present, row i of the gathered features is row i of the global batch;
            // else each row's place there is gathered too (rank r's rows are r*b ..< (r+1)*b).
            guard all.shape[0] < rows * ranks else { global[field] = .init(tensor: all); continue }
            let mine = local == nil ? [] : features[field]!.rows ?? Array(0..<rows)
            var ids = [Int64](repeating: 0, count: all.shape[0])
            try mine.map { Int64(rank * rows + $0) }.withUnsafeBufferPointer { send in
                try ids.withUnsafeMutableBufferPointer { try communicator.allGather(send, counts: counts, into: $0) }
            }
            global[field] = .init(tensor: all, rows: ids.map { Int($0) })
        }
        let anchors = localLoss ? rank * rows..<(rank + 1) * rows : nil
        let (loss, counted) = step.total(global, logitScale: logitScale, anchors: anchors, ranks: ranks)
        loss?.backward()
        // Every rank takes part in the reduce-scatter, with or without a loss of its own.
        var surrogate: Tensor?
        for (field, leaf, counts) in gathered {
            let g = leaf.grad ?? .zeros(leaf.shape)                                                // [Σ n_r, E]
            let own = withGradient ? try communicator.reduceScatterRows(g, counts: counts)
                : counts[rank] == 0 ? nil : g.narrow(0, counts[..<rank].reduce(0, +), counts[rank])
            guard let own, let local = features[field]?.tensor, local.requiresGrad else { continue }
            let term = (local * own).sum()                            // d term / d local = own
            surrogate = surrogate.map { $0 + term } ?? term
        }
        surrogate?.backward()
        return counted == 0 ? .nan : loss?.item() ?? 0
    }
}
