/// Where a trainer's batches come from: a ``DataLoader`` over manifest
/// records, or a ``DemoLoader`` over recorded demonstrations.
///
/// Contract: the same epoch and start give the same batches; each epoch has
/// `batchesPerEpoch` batches (a partial last batch is dropped by sources used for training).
public protocol BatchSource: Sendable {
    var batchesPerEpoch: Int { get }
    /// The batches of `epoch` from batch `start` (0...batchesPerEpoch) on.
    func stream(epoch: Int, startingAt start: Int) -> any BatchStream
}

/// The batches of one epoch in order: `next()` is nil after the last one, or throws a batch's error.
public protocol BatchStream: AnyObject {
    func next() throws -> Batch?
}

extension BatchIterator: BatchStream {}

extension DataLoader: BatchSource {
    public func stream(epoch: Int, startingAt start: Int) -> any BatchStream { batches(epoch: epoch, startingAt: start) }
}
