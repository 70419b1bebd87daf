import Foundation
import PlinthData
import PlinthDistributed
import PlinthNN
import PlinthRecipes
import XCTest

/// Data-parallel training against one process. These tests need several ranks
/// and run under mpirun (scripts/test.sh):
///   mpirun -np 2 .build/release/PlinthPackageTests.xctest PlinthRecipesTests.DataParallelRunTests
/// Rank 0 also trains each single-process reference and compares.
final class DataParallelRunTests: ShippedRecipeRun {
    func world() throws -> Communicator {
        guard let world = try Communicator.world() else { throw XCTSkip("needs mpirun -np 2 or more (scripts/test.sh runs it)") }
        if world.isRoot { _ = try Datasets.manifest(named: "fashion-mnist") }
        try world.barrier()
        return world
    }

    func run(_ name: String) -> URL { output.appendingPathComponent(name) }

    /// The logged loss of each step of the run in `directory`.
    func losses(_ directory: URL) throws -> [Float] { try metrics(in: directory).map { ($0["loss"] as! NSNumber).floatValue } }

    /// Same losses step by step and same final weights, within float summation-order tolerance.
    func assertSameRun(_ a: URL, _ b: URL, _ label: String) throws {
        let (la, lb) = (try losses(a), try losses(b))
        XCTAssertEqual(la.count, lb.count, label)
        for (x, y) in zip(la, lb) { XCTAssertEqual(x, y, accuracy: 2e-4 * max(1, abs(y)), "\(label): losses \(la) vs \(lb)") }
        let wa = try SafetensorsFile(contentsOf: RunDirectory(url: a).finalModelURL).tensors()
        let wb = try SafetensorsFile(contentsOf: RunDirectory(url: b).finalModelURL).tensors()
        XCTAssertEqual(Set(wa.keys), Set(wb.keys), label)
        // The key projection's bias has an analytically zero gradient (softmax ignores a
        // shift shared by all keys), so Adam turns its rounding noise into steps of up to
        // the learning rate: it gets a tolerance of its own.
        var worst: (Float, String) = (0, ""), keyBias: Float = 0
        for (key, t) in wb {
            let (x, y) = (wa[key]!.toArray(), t.toArray())
            for i in x.indices {
                let isKeyBias = key.hasSuffix("attn.in_proj_bias") && (x.count / 3..<2 * x.count / 3).contains(i)
                if isKeyBias { keyBias = max(keyBias, abs(x[i] - y[i])) } else if abs(x[i] - y[i]) > worst.0 { worst = (abs(x[i] - y[i]), key) }
            }
        }
        XCTAssertLessThan(worst.0, 1e-5, "\(label): weights differ by \(worst.0) in \(worst.1)")
        XCTAssertLessThan(keyBias, 1e-3, "\(label): key biases differ by \(keyBias)")
        print("\(label): \(la.count) steps, largest loss difference \(zip(la, lb).map { abs($0 - $1) }.max()!), largest weight difference \(worst.0) (\(worst.1)), key biases \(keyBias)")
    }

    /// N ranks at B/N each follow one process at B: the full and the local
    /// contrastive loss (both gathering with gradients), and with accumulation.
    func testRanksFollowOneProcess() throws {
        let world = try world()
        for (localLoss, accumulation) in [(true, 1), (false, 1), (true, 2)] {
            var (recipe, text) = try tiny("fashion-mnist", steps: 4)
            recipe.distributed.localLoss = localLoss
            recipe.train.accumulation = accumulation
            let label = "local_loss \(localLoss), accumulation \(accumulation)"
            let parallel = try Trainer(recipe: recipe, recipeText: text, output: run("parallel"), resume: false,
                                       communicator: world).train()
            XCTAssertEqual(parallel.steps, 4, label)
            if world.isRoot {
                _ = try Trainer(recipe: recipe, recipeText: text, output: run("single"), resume: false).train()
                try assertSameRun(run("parallel"), run("single"), label)
                for name in ["parallel", "single"] { try FileManager.default.removeItem(at: run(name)) }
            }
            try world.barrier()
        }
    }

    /// Ranks with different numbers of rows for an optional field (Tux Paint's
    /// sounds) still gather the global batch and follow one process.
    func testOptionalFieldsAcrossRanks() throws {
        let world = try world()
        if world.isRoot { _ = try Datasets.manifest(named: "tuxpaint") }
        try world.barrier()
        let (recipe, text) = try tiny("tuxpaint", steps: 3, limit: 48)
        _ = try Trainer(recipe: recipe, recipeText: text, output: run("parallel"), resume: false, communicator: world).train()
        guard world.isRoot else { return }
        _ = try Trainer(recipe: recipe, recipeText: text, output: run("single"), resume: false).train()
        try assertSameRun(run("parallel"), run("single"), "tuxpaint, optional sounds")
    }

    /// A run checkpointed by N ranks resumes as one process, and the other way
    /// round, landing where the uninterrupted single-process run does.
    func testResumeWithAnotherNumberOfRanks() throws {
        let world = try world()
        let (recipe, text) = try tiny("fashion-mnist", steps: 4)
        _ = try Trainer(recipe: recipe, recipeText: text, output: run("from-ranks"), resume: false, communicator: world)
            .train(stoppingAfter: 2)
        if world.isRoot {
            _ = try Trainer(recipe: recipe, recipeText: text, output: run("from-ranks"), resume: true).train()
            _ = try Trainer(recipe: recipe, recipeText: text, output: run("to-ranks"), resume: false).train(stoppingAfter: 2)
            _ = try Trainer(recipe: recipe, recipeText: text, output: run("single"), resume: false).train()
        }
        try world.barrier()
        let resumed = try Trainer(recipe: recipe, recipeText: text, output: run("to-ranks"), resume: true, communicator: world).train()
        XCTAssertEqual(resumed.steps, 4)
        guard world.isRoot else { return }
        try assertSameRun(run("from-ranks"), run("single"), "\(world.size) ranks, then 1 process")
        try assertSameRun(run("to-ranks"), run("single"), "1 process, then \(world.size) ranks")
    }
}
