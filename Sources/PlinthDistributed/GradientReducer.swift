import Foundation
import PlinthTensor

/// Averages parameter gradients over the ranks of a data-parallel run, in
/// buckets: fused buffers of about `bucketBytes`, filled in reverse parameter
/// order, which is roughly the order in which backward finishes them.
///
/// Use per optimizer step: run the step's last backward pass inside
/// `Autograd.withLeafGradientHook(reducer.gradientReady)`, so that a bucket's
/// all-reduce starts as soon as backward has finished all of its gradients,
/// while the pass goes on; then call ``finish()`` before the optimizer step.
/// Buckets start in index order on every rank (a finished bucket waits for
/// the ones before it), as MPI needs. ``finish()`` starts any bucket the hook
/// did not (gradients from earlier passes, or none at all), waits, and leaves
/// every parameter's `grad` the mean over ranks; a parameter without a
/// gradient on any rank keeps none. The reductions run on their own
/// duplicate of the communicator, so collectives elsewhere cannot interleave.
public final class GradientReducer {
    public let communicator: Communicator
    public let parameters: [Tensor]
    /// Parameter indices per bucket; bucket 0 holds the last parameters.
    public let buckets: [[Int]]
    /// Per bucket: the gradients, then one presence flag per member.
    private let buffers: [Tensor]
    /// Each parameter's bucket and place in it.
    private let slot: [ObjectIdentifier: (bucket: Int, member: Int)]
    private var done: [Bool]
    private var waiting: [Int]
    private var pending: [PendingReduction?]
    private var started = 0
    private var hookError: Error?
    /// Buckets the last step started from the hook, during backward (the rest started in ``finish()``).
    public private(set) var lastOverlapped = 0
    /// Seconds the last ``finish()`` spent waiting for reductions: the communication the backward pass did not hide.
    public private(set) var lastWaitSeconds = 0.0

    /// Collective: every rank calls it, with the same parameter shapes in the same order.
    public init(parameters: [Tensor], communicator: Communicator, bucketBytes: Int = 1 << 22) throws {
        precondition(bucketBytes > 0, "GradientReducer: bucketBytes must be positive")
        self.parameters = parameters
        self.communicator = try communicator.duplicate()
        var buckets: [[Int]] = [], current: [Int] = [], bytes = 0
        for i in parameters.indices.reversed() {
            current.append(i)
            bytes += parameters[i].count * MemoryLayout<Float>.size
            if bytes >= bucketBytes { buckets.append(current); (current, bytes) = ([], 0) }
        }
        if !current.isEmpty { buckets.append(current) }
        self.buckets = buckets
        var slot: [ObjectIdentifier: (Int, Int)] = [:]
        for (b, members) in buckets.enumerated() {
            for (m, i) in members.enumerated() { slot[ObjectIdentifier(parameters[i])] = (b, m) }
        }
        buffers = buckets.map { members in Tensor(uninitialized: [members.reduce(0) { $0 + parameters[$1].count } + members.count]) }
        self.slot = slot
        done = Array(repeating: false, count: parameters.count)
        waiting = buckets.map(\.count)
        pending = Array(repeating: nil, count: buckets.count)
    }

    /// The autograd leaf hook: marks `leaf`'s gradient finished (other tensors
    /// are ignored) and starts every bucket that is now complete, in order.
    public func gradientReady(_ leaf: Tensor) {
        guard hookError == nil, let (b, m) = slot[ObjectIdentifier(leaf)], !done[buckets[b][m]] else { return }
        done[buckets[b][m]] = true
        waiting[b] -= 1
        do {
            while started < buckets.count, waiting[started] == 0 { try start(started) }
            // MPI moves non-blocking collectives along only inside MPI calls.
            for p in pending[..<started] { _ = try p?.test() }
        } catch { hookError = error }
    }

    /// Starts the remaining buckets, waits for all, and writes the mean
    /// gradients back. Every rank calls it once per step.
    public func finish() throws {
        if let hookError { throw hookError }
        lastOverlapped = started
        while started < buckets.count { try start(started) }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        for p in pending { try p?.wait() }
        lastWaitSeconds = Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
        let scale = 1 / Float(communicator.size)
        for (b, members) in buckets.enumerated() {
            let sums = buffers[b].pointer, flags = buffers[b].count - members.count
            var offset = 0
            for (m, i) in members.enumerated() {
                let p = parameters[i], n = p.count
                defer { offset += n }
                guard sums[flags + m] > 0 else { p.grad = nil; continue }
                // A leaf's grad is its own contiguous copy (see backward()), so it is overwritten in place.
                let grad = p.grad.flatMap { $0.isContiguous ? $0 : nil } ?? Tensor(uninitialized: p.shape)
                for k in 0..<n { grad.pointer[k] = sums[offset + k] * scale }
                p.grad = grad
            }
        }
        done = Array(repeating: false, count: parameters.count)
        waiting = buckets.map(\.count)
        pending = Array(repeating: nil, count: buckets.count)
        started = 0
    }

    /// Packs bucket `b`'s gradients (zeros and a 0 flag where there is none) and starts its all-reduce.
    private func start(_ b: Int) throws {
        let members = buckets[b], buffer = buffers[b], flags = buffer.count - members.count
        var offset = 0
        for (m, i) in members.enumerated() {
            let p = parameters[i], n = p.count
            if let g = p.grad {
                let c = g.contiguous()
                (buffer.pointer + offset).update(from: c.pointer, count: n)
                buffer.pointer[flags + m] = 1
            } else {
                (buffer.pointer + offset).update(repeating: 0, count: n)
                buffer.pointer[flags + m] = 0
            }
            offset += n
        }
        pending[b] = try communicator.startAllReduceSum(UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count))
        started = b + 1
    }
}
