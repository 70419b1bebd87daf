import Dispatch
import Foundation

/// The number of threads Plinth uses for its own kernels and for the BLAS.
///
/// Set once from `PLINTH_NUM_THREADS` (default: all cores) and changeable with
/// `Threads.setCount(_:)`. Both Plinth's parallel loops and the BLAS follow it,
/// so the same seed and thread count give the same results.
public enum Threads {
    nonisolated(unsafe) private static var current: Int = {
        let env = ProcessInfo.processInfo.environment["PLINTH_NUM_THREADS"].flatMap(Int.init)
        let n = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        BLAS.shared.setThreads(n)
        return n
    }()

    public static var count: Int { current }

    /// Sets the thread count for Plinth kernels and the BLAS.
    public static func setCount(_ n: Int) {
        precondition(n >= 1, "Threads.setCount: need at least one thread, got \(n)")
        current = n
        BLAS.shared.setThreads(n)
    }

    /// Runs `body` over `0..<n` split into contiguous chunks of at least `grain`
    /// items, in parallel when there is more than one chunk. Chunk boundaries
    /// depend only on `n`, `grain` and the thread count, so results are
    /// reproducible. `body` must only write to disjoint memory per chunk.
    public static func parallelFor(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard n > 0 else { return }
        let chunks = min(count, max(1, n / max(1, grain)))
        if chunks == 1 { body(0..<n); return }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                body((c * n / chunks)..<((c + 1) * n / chunks))
            }
        }
    }

    /// Runs `body` with the BLAS limited to one thread: for loops that call
    /// BLAS from several threads at once (never nest a threaded BLAS call).
    public static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        _ = count
        BLAS.shared.setThreads(1)
        defer { BLAS.shared.setThreads(current) }
        return try body()
    }
}
