import Foundation

/// The batches of one epoch, in order, from a ``DataLoader``.
///
/// `next()` returns the next batch, nil at the end, or throws the error of a
/// batch that failed (naming the file); after an error it returns nil. With
/// workers, batches are prepared ahead by a ``PrefetchQueue``; dropping the
/// iterator or calling `cancel()` stops the workers (each finishes at most
/// the batch in hand). Use from one thread at a time:
///
///     let it = loader.batches(epoch: e)
///     while let batch = try it.next() { ... }
public final class BatchIterator {
    public let epoch: Int
    private let loader: DataLoader
    private let order: [Int]
    private var position: Int
    private let end: Int
    /// nil without workers (internal for tests that watch the threads stop).
    let queue: PrefetchQueue?

    init(loader: DataLoader, epoch: Int, order: [Int], start: Int) {
        self.loader = loader
        self.epoch = epoch
        self.order = order
        position = start
        end = loader.batchesPerEpoch
        queue = loader.workers == 0 || start >= end ? nil : PrefetchQueue(
            range: start..<end, workers: loader.workers, depth: loader.prefetch
        ) { [loader, order] index in try loader.makeBatch(index, order: order, epoch: epoch) }
    }

    deinit { queue?.cancel() }

    /// The next batch, or nil after the last one (or after an error or `cancel()`).
    public func next() throws -> Batch? {
        guard position < end else { return nil }
        if let queue {
            guard let result = queue.take() else { position = end; return nil }
            position += 1
            do { return try result.get() } catch { cancel(); throw error }
        }
        do {
            let batch = try loader.makeBatch(position, order: order, epoch: epoch)
            position += 1
            return batch
        } catch {
            position = end
            throw error
        }
    }

    /// Stops the workers; `next()` then returns nil.
    public func cancel() {
        position = end
        queue?.cancel()
    }
}
