import Foundation
import PlinthNN
import PlinthTestSupport
import XCTest

/// Regression tests for training: a tiny transformer learns a task with a
/// fixed seed (twice, identically), resume is exact, and accumulation is exact.
final class TrainingTests: XCTestCase {
    struct Run {
        let model: TinyTransformer
        let optimizer: AdamW
        let generator: RandomGenerator
        let schedule = WarmupCosineSchedule(base: 1e-2, warmup: 20, total: 400)

        init(seed: UInt64, dropout: Float = 0) {
            generator = RandomGenerator(seed: seed)
            model = TinyTransformer(vocab: 8, length: 6, width: 32, layers: 2, heads: 4, dropout: dropout, generator: generator)
            optimizer = AdamW(model.parameterGroups(weightDecay: 0.01), learningRate: 1e-2, betas: (0.9, 0.98), eps: 1e-6)
        }

        /// One optimizer step on a fresh batch; returns the loss.
        func step() -> Float {
            let (x, y) = reversalBatch(batch: 16, length: 6, vocab: 8, generator: generator)
            schedule.apply(to: optimizer)
            optimizer.zeroGrad()
            let loss = Tensor.crossEntropy(model(x, batch: 16).reshape([-1, 8]), targets: y)
            loss.backward()
            clipGradNorm(model.parameters(), maxNorm: 1)
            optimizer.step()
            return loss.item()
        }
    }

    func testTinyTransformerLearnsReversalReproducibly() {
        let a = Run(seed: 1), b = Run(seed: 1)
        let lossesA = (0..<400).map { _ in a.step() }
        let lossesB = (0..<400).map { _ in b.step() }
        XCTAssertEqual(lossesA, lossesB, "same seed and thread count give the same trajectory")
        let final = lossesA.suffix(20).reduce(0, +) / 20
        print("reversal: loss \(lossesA[0]) at step 0, mean \(final) over steps 380-399")
        XCTAssertLessThan(final, 0.05, "mean loss over the last 20 steps (started at \(lossesA[0]))")
    }

    func testResumeIsExact() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-resume-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ckpt.safetensors")

        let straight = Run(seed: 3, dropout: 0.1)
        for _ in 0..<8 { _ = straight.step() }

        let first = Run(seed: 3, dropout: 0.1)
        for _ in 0..<5 { _ = first.step() }
        try TrainingCheckpoint.save(to: url, model: first.model, optimizer: first.optimizer, step: 5,
                                    generator: first.generator, config: "{\"recipe\": \"test\"}")
        let resumed = Run(seed: 99, dropout: 0.1)
        let info = try TrainingCheckpoint.load(from: url, model: resumed.model, optimizer: resumed.optimizer,
                                               generator: resumed.generator)
        XCTAssertEqual(info.step, 5)
        XCTAssertEqual(info.config, "{\"recipe\": \"test\"}")
        for _ in 0..<3 { _ = resumed.step() }
        for ((k, p), (_, q)) in zip(straight.model.namedParameters(), resumed.model.namedParameters()) {
            XCTAssertEqual(p.toArray(), q.toArray(), k)
        }
    }

    func testGradientAccumulationMatchesFullBatch() {
        let g = RandomGenerator(seed: 5)
        let model = TinyTransformer(vocab: 8, length: 6, width: 16, layers: 1, heads: 2, generator: g)
        let (x, y) = reversalBatch(batch: 8, length: 6, vocab: 8, generator: g)
        Tensor.crossEntropy(model(x, batch: 8).reshape([-1, 8]), targets: y).backward()
        let full = model.parameters().map { $0.grad!.toArray() }
        model.zeroGrad()
        for half in 0..<2 {
            let xs = Array(x[(half * 24)..<(half * 24 + 24)]), ys = Array(y[(half * 24)..<(half * 24 + 24)])
            (Tensor.crossEntropy(model(xs, batch: 4).reshape([-1, 8]), targets: ys) * 0.5).backward()
        }
        for (f, p) in zip(full, model.parameters()) {
            XCTAssertLessThanOrEqual(zip(f, p.grad!.toArray()).map { abs($0 - $1) }.max()!, 1e-5)
        }
    }

    func testCorruptCheckpointIsRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-bad-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("weights.safetensors")
        let run = Run(seed: 1)
        try run.model.save(to: url)  // weights only: no checkpoint metadata
        XCTAssertThrowsError(try TrainingCheckpoint.load(from: url, model: run.model, optimizer: run.optimizer)) {
            XCTAssertTrue(String(describing: $0).contains("'format'"), String(describing: $0))
        }
    }
}
