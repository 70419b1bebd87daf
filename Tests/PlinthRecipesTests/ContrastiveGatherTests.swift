import PlinthData
import PlinthDistributed
import PlinthModels
import PlinthRecipes
import PlinthTensor
import XCTest

/// Runs under mpirun with the other data-parallel tests (scripts/test.sh).
final class ContrastiveGatherTests: XCTestCase {
    /// Each rank steps on its rows of one batch; after the ranks' average, the
    /// gradients are those of one process on the whole batch, for the full and
    /// the local loss. Without gathered gradients, every tower gradient is 1/N
    /// of it (each rank keeps its own rows' share; open_clip's behaviour), and
    /// the logit scale's, which every rank computes in full, is whole.
    func testGradientsAgainstOneProcess() throws {
        guard let world = try Communicator.world() else { throw XCTSkip("needs mpirun -np 2 or more (scripts/test.sh runs it)") }
        let ranks = world.size, pairs = [ObjectiveSection.Pair(a: .image, b: .text)]
        let whole = TinyContrastive.batch(RandomGenerator(seed: 3))
        guard whole.count % ranks == 0 else { throw XCTSkip("8 rows do not split over \(ranks) ranks") }
        let reference = try TinyContrastive.model()
        let referenceLoss = try ContrastiveStep(pairs: pairs)(reference, [whole])
        let rows = whole.count / ranks
        let part = whole.slice(world.rank * rows..<(world.rank + 1) * rows)

        for (localLoss, withGradient) in [(true, true), (false, true), (false, false)] {
            let label = "local_loss \(localLoss), gather_with_grad \(withGradient)"
            let model = try TinyContrastive.model()
            let gather = ContrastiveGather(communicator: world, localLoss: localLoss, withGradient: withGradient)
            let loss = try ContrastiveStep(pairs: pairs, gather: gather)(model, [part])
            XCTAssertEqual(try world.mean([loss])[0], referenceLoss, accuracy: 1e-5, label)
            try GradientReducer(parameters: model.parameters(), communicator: world).finish()
            for ((key, p), (_, r)) in zip(model.namedParameters(), reference.namedParameters()) {
                let scale: Float = withGradient || p === model.logitScale ? 1 : 1 / Float(ranks)
                let (g, expected) = (try XCTUnwrap(p.grad, key).toArray(), try XCTUnwrap(r.grad, key).toArray())
                for (x, y) in zip(g, expected) { XCTAssertEqual(x, y * scale, accuracy: 1e-6 + 1e-3 * abs(y), "\(label): \(key)") }
            }
        }
    }
}
