@testable import PlinthDistributed
import PlinthTensor
import XCTest

/// The launcher checks run everywhere; the collectives need several ranks and
/// run under mpirun (scripts/test.sh):
///   mpirun -np 2 .build/release/PlinthPackageTests.xctest PlinthDistributedTests
final class CommunicatorTests: XCTestCase {
    func testOnlyOpenMPIsLauncherJoinsARun() throws {
        XCTAssertFalse(try Communicator.launchedByOpenMPI([:]), "a plain process needs no MPI")
        XCTAssertTrue(try Communicator.launchedByOpenMPI(["OMPI_COMM_WORLD_SIZE": "2", "PMIX_RANK": "0"]))
        XCTAssertThrowsError(try Communicator.launchedByOpenMPI(["PMI_RANK": "1", "PMI_SIZE": "2"])) { error in
            XCTAssertTrue("\(error)".contains("PMI_RANK is set") && "\(error)".contains("mpirun"), "\(error)")
        }
    }

    func testCollectivesAcrossRanks() throws {
        guard let world = try Communicator.world() else {
            throw XCTSkip("needs mpirun -np 2 or more (scripts/test.sh runs it)")
        }
        let (rank, size) = (world.rank, world.size)
        XCTAssertGreaterThanOrEqual(size, 2)
        XCTAssertTrue((0..<size).contains(rank))

        let shared = world.isRoot ? Tensor([1, 2, 3], shape: [3]) : Tensor.zeros([3])
        try world.broadcast(shared)
        XCTAssertEqual(shared.toArray(), [1, 2, 3])

        let summed = Tensor([1, 10, 100].map { Float(rank + 1) * $0 }, shape: [3])
        try world.allReduceSum(summed)
        let ranks = Float(size * (size + 1) / 2)
        XCTAssertEqual(summed.toArray(), [ranks, 10 * ranks, 100 * ranks])

        let gathered = try world.allGather(Tensor.full([2, 3], Float(rank)))
        XCTAssertEqual(gathered.shape, [2 * size, 3])
        XCTAssertEqual(gathered.toArray(), (0..<size).flatMap { r in [Float](repeating: Float(r), count: 6) })

        try world.barrier()
    }
}
