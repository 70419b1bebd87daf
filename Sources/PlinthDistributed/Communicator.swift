import CMPI
import Foundation
import PlinthTensor

/// The processes of one data-parallel run, joined by Open MPI.
///
/// A process started by `mpirun` (which sets `OMPI_COMM_WORLD_SIZE`) joins
/// the run on the first call to ``world()``; any other process gets nil and
/// never touches MPI, so single-process runs need no launcher. Collectives
/// block until every rank has called them, in the same order on every rank.
/// Call them from the thread that first called ``world()`` (MPI's
/// "funneled" threading), and ``finalize()`` once before the process exits.
public final class Communicator: Sendable {
    /// This process's rank, 0 ..< size; rank 0 writes logs and checkpoints.
    public let rank: Int
    public let size: Int
    public var isRoot: Bool { rank == 0 }

    private init(rank: Int, size: Int) {
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
        return Communicator(rank: Int(rank), size: Int(size))
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

    /// Waits until every rank has called it.
    public func barrier() throws {
        try check(MPI_Barrier(cmpi_comm_world()), "MPI_Barrier")
    }

    /// Overwrites `buffer` on every rank with `root`'s.
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int = 0) throws {
        try check(MPI_Bcast(buffer.baseAddress, try count(buffer.count), cmpi_float(), Int32(root), cmpi_comm_world()), "MPI_Bcast")
    }

    /// Replaces `buffer` on every rank with the element-wise sum over ranks.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try check(MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, try count(buffer.count), cmpi_float(), cmpi_sum(),
                                cmpi_comm_world()), "MPI_Allreduce")
    }

    /// Every rank's `send` (the same count on each), concatenated in rank order
    /// into `receive`, which holds `size * send.count` floats.
    public func allGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws {
        precondition(receive.count == send.count * size,
                     "Communicator.allGather: \(receive.count) floats to receive \(size) x \(send.count)")
        let n = try count(send.count)
        try check(MPI_Allgather(send.baseAddress, n, cmpi_float(), receive.baseAddress, n, cmpi_float(), cmpi_comm_world()),
                  "MPI_Allgather")
    }

    /// Ends this process's part in the run; no collective may follow.
    public func finalize() throws {
        try check(MPI_Finalize(), "MPI_Finalize")
    }

    /// MPI counts are Int32.
    private func count(_ n: Int) throws -> Int32 {
        guard let n = Int32(exactly: n) else { throw MPIError("a buffer of \(n) floats is larger than MPI's count limit (\(Int32.max)); send it in parts") }
        return n
    }
}

/// `code` as a thrown ``MPIError`` naming `function`, unless it is MPI_SUCCESS.
private func check(_ code: Int32, _ function: String) throws {
    guard code != MPI_SUCCESS else { return }
    var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    throw MPIError("\(function) failed (code \(code)): \(String(cString: text))")
}

/// A failed MPI call, or a process that cannot join a run.
public struct MPIError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let description: String
    public var errorDescription: String? { description }
    init(_ message: String) { description = message }
}
