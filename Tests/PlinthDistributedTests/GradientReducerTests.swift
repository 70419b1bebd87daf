import PlinthDistributed
import PlinthTensor
import XCTest

/// Runs under mpirun with the collectives' test (scripts/test.sh).
final class GradientReducerTests: XCTestCase {
    func testBucketsAverageGradientsStartedDuringBackward() throws {
        guard let world = try Communicator.world() else { throw XCTSkip("needs mpirun -np 2 or more (scripts/test.sh runs it)") }
        let (rank, size) = (Float(world.rank), Float(world.size))
        let p0 = Tensor.zeros([3], requiresGrad: true), p1 = Tensor.zeros([2], requiresGrad: true)
        let p2 = Tensor.zeros([4], requiresGrad: true)
        // 12-byte buckets, filled from the last parameter: [p2], [p1, p0].
        let reducer = try GradientReducer(parameters: [p0, p1, p2], communicator: world, bucketBytes: 12)
        XCTAssertEqual(reducer.buckets, [[2], [1, 0]])

        // Every gradient present: both buckets start in the hook, during backward.
        Autograd.withLeafGradientHook(reducer.gradientReady) { ((p0 + rank).sum() * 2 + p1.sum() + p2.sum()).backward() }
        try reducer.finish()
        XCTAssertEqual(reducer.lastOverlapped, 2)
        XCTAssertEqual(p0.grad?.toArray(), [2, 2, 2])
        XCTAssertEqual(p2.grad?.toArray(), [1, 1, 1, 1])

        // The reducer is reused step after step. Now p0's gradient is rank + 1; p1
        // has one on ranks > 0 only; p2 none anywhere, so bucket 0 starts in finish().
        for p in [p0, p1, p2] { p.zeroGrad() }
        let loss = world.isRoot ? (p0 * (rank + 1)).sum() : (p0 * (rank + 1)).sum() + p1.sum()
        Autograd.withLeafGradientHook(reducer.gradientReady) { loss.backward() }
        try reducer.finish()
        XCTAssertEqual(reducer.lastOverlapped, 0)
        XCTAssertEqual(p0.grad?.toArray(), [Float](repeating: (size + 1) / 2, count: 3))
        XCTAssertEqual(p1.grad?.toArray(), [Float](repeating: (size - 1) / size, count: 2))
        XCTAssertNil(p2.grad, "no rank had a gradient for p2")
    }
}
