import CMPI
import Foundation

/// The processes of one data-parallel run, joined by Open MPI.
///
/// A process started by `mpirun` (which sets `OMPI_COMM_WORLD_SIZE`) joins
/// the run on the first call to ``world()``; any other process gets nil and
/// never touches MPI, so single-process runs need no launcher. Collectives
/// block until every rank has called them, in the same order on every rank
/// (per communicator: a ``duplicate()`` has its own order). Call them from
/// the thread that first called ``world()`` (MPI's "funneled" threading).
/// ``finalize()`` ends MPI; a process that exits without it finalizes at exit.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, 0 ..< size; rank 0 writes logs and checkpoints.
    public let rank: Int
    public let size: Int
    public var isRoot: Bool { rank == 0 }
    /// Seconds this process has spent in blocking collectives on this
    /// communicator, waiting for slower ranks included.
    public private(set) var secondsInCollectives = 0.0
    let comm: MPI_Comm?

    private init(comm: MPI_Comm?, rank: Int, size: Int) {
        self.comm = comm
        self.rank = rank
        self.size = size
    }

    /// This run's communicator when the process was started by Open MPI's
    /// `mpirun`, else nil. MPI is initialized on the first call only.
    ///
    /// - Throws: ``MPIError`` when another launcher started the process, or
    ///   when MPI cannot be initialized.
    public static func world() throws -> Communicator? { try joined.get() }

    private static let joined: Result<Communicator?, MPIError> = Result {
        guard try launchedByOpenMPI(ProcessInfo.processInfo.environment) else { return nil }
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
        guard provided >= Int32(MPI_THREAD_FUNNELED) else {
            throw MPIError("MPI_Init_thread: this Open MPI does not provide funneled threading (level \(provided))")
        }
        // Failures come back as codes (thrown here) instead of aborting every rank.
        try check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(cmpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(cmpi_comm_world(), &size), "MPI_Comm_size")
        // mpirun counts a rank that exits without finalizing as failed.
        atexit { finalizeOnce() }
        return Communicator(comm: cmpi_comm_world(), rank: Int(rank), size: Int(size))
    }.mapError { $0 as? MPIError ?? MPIError(String(describing: $0)) }

    /// Whether `environment` is that of a process started by Open MPI's mpirun.
    ///
    /// - Throws: ``MPIError`` when it shows another MPI's launcher (MPICH's
    ///   Hydra, a bare Slurm step), which this build cannot join.
    static func launchedByOpenMPI(_ environment: [String: String]) throws -> Bool {
        if environment["OMPI_COMM_WORLD_SIZE"] != nil { return true }
        if let other = ["PMI_RANK", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID"].first(where: { environment[$0] != nil }) {
            throw MPIError("\(other) is set, but not OMPI_COMM_WORLD_SIZE: start data-parallel runs with Open MPI's mpirun (scripts/setup.sh installs it), e.g. mpirun -np 2 plinth train RECIPE")
        }
        return false
    }

    /// The same ranks with a separate order of collectives, so that
    /// non-blocking reductions on one cannot be mismatched with the other's
    /// calls. Collective: every rank calls it.
    public func duplicate() throws -> Communicator {
        var copy = cmpi_comm_null()
        try check(MPI_Comm_dup(comm, &copy), "MPI_Comm_dup")
        return Communicator(comm: copy, rank: rank, size: size)
    }

    /// Waits until every rank has called it.
    public func barrier() throws {
        try timed("MPI_Barrier") { MPI_Barrier(comm) }
    }

    /// Overwrites `buffer` on every rank with `root`'s.
    public func broadcast<T: MPIElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        try timed("MPI_Bcast") { MPI_Bcast(buffer.baseAddress, try self.count(buffer.count), T.mpiType, Int32(root), comm) }
    }

    /// Replaces `buffer` on every rank with the element-wise sum over ranks.
    public func allReduceSum<T: MPIElement>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        try timed("MPI_Allreduce") {
            MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, try self.count(buffer.count), T.mpiType, cmpi_sum(), comm)
        }
    }

    /// Starts replacing `buffer` with the element-wise sum over ranks and
    /// returns at once. `buffer` must stay allocated and untouched until the
    /// reduction ``PendingReduction/wait()``s or tests complete.
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
        let pending = PendingReduction()
        try check(MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, try count(buffer.count), Float.mpiType, cmpi_sum(), comm,
                                 &pending.request), "MPI_Iallreduce")
        return pending
    }

    /// Every rank's `send` (the same count on each), concatenated in rank order
    /// into `receive`, which holds `size * send.count` elements.
    public func allGather<T: MPIElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>) throws {
        precondition(receive.count == send.count * size,
                     "Communicator.allGather: \(receive.count) elements to receive \(size) x \(send.count)")
        let n = try count(send.count)
        try timed("MPI_Allgather") { MPI_Allgather(send.baseAddress, n, T.mpiType, receive.baseAddress, n, T.mpiType, comm) }
    }

    /// Every rank's `value`, in rank order.
    public func allGather(_ value: Int) throws -> [Int] {
        var mine = Int64(value)
        var all = [Int64](repeating: 0, count: size)
        try withUnsafePointer(to: &mine) { m in
            try all.withUnsafeMutableBufferPointer { try allGather(UnsafeBufferPointer(start: m, count: 1), into: $0) }
        }
        return all.map { Int($0) }
    }

    /// Every rank's `send`, of `counts[rank]` elements, concatenated in rank
    /// order into `receive`, which holds `counts.reduce(0, +)` elements.
    public func allGather<T: MPIElement>(_ send: UnsafeBufferPointer<T>, counts: [Int],
                                         into receive: UnsafeMutableBufferPointer<T>) throws {
        precondition(counts.count == size && counts[rank] == send.count && receive.count == counts.reduce(0, +),
                     "Communicator.allGather: counts \(counts) do not match \(send.count) sent, \(receive.count) received")
        let (sizes, offsets) = try layout(counts)
        try timed("MPI_Allgatherv") {
            MPI_Allgatherv(send.baseAddress, sizes[rank], T.mpiType, receive.baseAddress, sizes, offsets, T.mpiType, comm)
        }
    }

    /// The element-wise sum over ranks of `send` (laid out as `counts`, in rank
    /// order), of which this rank receives its own part: `counts[rank]` elements.
    public func reduceScatterSum<T: MPIElement>(_ send: UnsafeBufferPointer<T>, counts: [Int],
                                                into receive: UnsafeMutableBufferPointer<T>) throws {
        precondition(counts.count == size && counts[rank] == receive.count && send.count == counts.reduce(0, +),
                     "Communicator.reduceScatterSum: counts \(counts) do not match \(send.count) sent, \(receive.count) received")
        let (sizes, _) = try layout(counts)
        try timed("MPI_Reduce_scatter") {
            MPI_Reduce_scatter(send.baseAddress, receive.baseAddress, sizes, T.mpiType, cmpi_sum(), comm)
        }
    }

    /// Ends every rank of the run at once with exit status `code`: what a rank
    /// does after an error its peers cannot know of, instead of leaving them
    /// waiting in a collective.
    public func abort(code: Int32) -> Never {
        MPI_Abort(cmpi_comm_world(), code)
        exit(code)
    }

    /// Ends this process's part in the run; no collective may follow. Later calls do nothing.
    public func finalize() throws {
        try check(finalizeOnce(), "MPI_Finalize")
    }

    /// Runs a blocking collective, adding its time to ``secondsInCollectives``.
    private func timed(_ function: String, _ body: () throws -> Int32) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let code = try body()
        secondsInCollectives += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try check(code, function)
    }

    /// MPI counts are Int32.
    private func count(_ n: Int) throws -> Int32 {
        guard let n = Int32(exactly: n) else { throw MPIError("a buffer of \(n) elements is larger than MPI's count limit (\(Int32.max)); send it in parts") }
        return n
    }

    /// MPI's per-rank counts and displacements.
    private func layout(_ counts: [Int]) throws -> (counts: [Int32], offsets: [Int32]) {
        let sizes = try counts.map(count)
        let offsets = try counts.indices.map { try count(counts[..<$0].reduce(0, +)) }
        _ = try count(counts.reduce(0, +))
        return (sizes, offsets)
    }
}

/// A non-blocking reduction in flight (``Communicator/startAllReduceSum(_:)``).
public final class PendingReduction {
    var request = cmpi_request_null()

    /// Whether it has finished; each call also lets MPI make progress on it.
    public func test() throws -> Bool {
        guard request != cmpi_request_null() else { return true }
        var done: Int32 = 0
        try check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
        return done != 0
    }

    /// Blocks until it has finished.
    public func wait() throws {
        guard request != cmpi_request_null() else { return }
        try check(MPI_Wait(&request, cmpi_status_ignore()), "MPI_Wait")
    }
}

/// Element types the collectives carry.
public protocol MPIElement {
    static var mpiType: MPI_Datatype { get }
}

extension Float: MPIElement { public static var mpiType: MPI_Datatype { cmpi_float() } }
extension Double: MPIElement { public static var mpiType: MPI_Datatype { cmpi_double() } }
extension Int32: MPIElement { public static var mpiType: MPI_Datatype { cmpi_int32() } }
extension Int64: MPIElement { public static var mpiType: MPI_Datatype { cmpi_int64() } }
extension UInt64: MPIElement { public static var mpiType: MPI_Datatype { cmpi_uint64() } }
extension UInt8: MPIElement { public static var mpiType: MPI_Datatype { cmpi_uint8() } }

/// MPI_Finalize unless MPI has been finalized already.
@discardableResult
private func finalizeOnce() -> Int32 {
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    return finalized != 0 ? MPI_SUCCESS : MPI_Finalize()
}

/// `code` as a thrown ``MPIError`` naming `function`, unless it is MPI_SUCCESS.
func check(_ code: Int32, _ function: String) throws {
    guard code != MPI_SUCCESS else { return }
    var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    throw MPIError("\(function) failed (code \(code)): \(String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))")
}

/// A failed MPI call, or a process that cannot join a run.
public struct MPIError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let description: String
    public var errorDescription: String? { description }
    init(_ message: String) { description = message }
}
