import Foundation

/// Worker threads that build the batches of `range` ahead of the consumer,
/// delivering them in order.
///
/// A worker claims the lowest unclaimed batch only while it is fewer than
/// `depth` batches ahead of the next one the consumer takes, so at most
/// `depth` batches are claimed or waiting at any time. Results (batches or
/// errors) are delivered in batch order whatever thread made them.
final class PrefetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var claimed: Int
    private var delivered: Int
    private var ready: [Int: Result<Batch, Error>] = [:]
    private var stopped = false
    private let end: Int
    private let depth: Int
    private let running = DispatchGroup()

    init(range: Range<Int>, workers: Int, depth: Int, build: @escaping @Sendable (Int) throws -> Batch) {
        claimed = range.lowerBound
        delivered = range.lowerBound
        end = range.upperBound
        self.depth = depth
        for i in 0..<workers {
            running.enter()
            let thread = Thread { [self] in
                while let index = claim() { store(index, Result { try build(index) }) }
                running.leave()
            }
            thread.name = "plinth-data-\(i)"
            thread.start()
        }
    }

    /// The next batch's result in order, waiting for it; nil once stopped or past the end.
    func take() -> Result<Batch, Error>? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped, delivered < end, ready[delivered] == nil { condition.wait() }
        guard !stopped, delivered < end, let result = ready.removeValue(forKey: delivered) else { return nil }
        delivered += 1
        condition.broadcast()
        return result
    }

    /// Makes workers exit after the batch in hand and drops prepared batches.
    func cancel() {
        condition.lock()
        stopped = true
        ready.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func waitForWorkers(timeout seconds: Double) -> Bool {
        running.wait(timeout: .now() + seconds) == .success
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped, claimed < end, claimed >= delivered + depth { condition.wait() }
        guard !stopped, claimed < end else { return nil }
        claimed += 1
        return claimed - 1
    }

    private func store(_ index: Int, _ result: Result<Batch, Error>) {
        condition.lock()
        if !stopped { ready[index] = result }
        condition.broadcast()
        condition.unlock()
    }
}
