import Foundation
import PlinthNN
import XCTest

final class ModuleTests: XCTestCase {
    func testKeysFollowPyTorch() {
        let t = Transformer(width: 8, layers: 2, heads: 2)
        let keys = t.namedParameters().map(\.0)
        XCTAssertEqual(keys.prefix(12), [
            "resblocks.0.ln_1.weight", "resblocks.0.ln_1.bias",
            "resblocks.0.attn.in_proj_weight", "resblocks.0.attn.in_proj_bias",
            "resblocks.0.attn.out_proj.weight", "resblocks.0.attn.out_proj.bias",
            "resblocks.0.ln_2.weight", "resblocks.0.ln_2.bias",
            "resblocks.0.mlp.c_fc.weight", "resblocks.0.mlp.c_fc.bias",
            "resblocks.0.mlp.c_proj.weight", "resblocks.0.mlp.c_proj.bias",
        ])
        XCTAssertEqual(keys.count, 24)
        XCTAssertEqual(t.parameterCount, 2 * (4 * 8 + 3 * 64 + 3 * 8 + 64 + 8 + 8 * 32 + 32 + 32 * 8 + 8))
    }

    func testStrictLoadReportsEverythingTogether() {
        let lin = Linear(3, 2)
        var dict = lin.stateDict()
        dict["weight"] = Tensor.zeros([3, 3])
        dict["bias"] = nil
        dict["extra"] = Tensor.zeros([1])
        let before = lin.weight.toArray()
        XCTAssertThrowsError(try lin.load(stateDict: dict)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("missing keys (1): bias"), text)
            XCTAssertTrue(text.contains("unexpected keys (1): extra"), text)
            XCTAssertTrue(text.contains("shape mismatch for weight: module has [2, 3], state dict has [3, 3]"), text)
        }
        XCTAssertEqual(lin.weight.toArray(), before, "a failed strict load changes nothing")
        let partial = try! lin.load(stateDict: ["bias": Tensor([5, 6], shape: [2])], strict: false)
        XCTAssertEqual(partial.missing, ["weight"])
        XCTAssertEqual(lin.bias!.toArray(), [5, 6])
    }

    func testTrainEvalFreezeAndGroups() {
        let block = ResidualAttentionBlock(8, heads: 2)
        block.eval()
        XCTAssertTrue(block.modules().allSatisfy { !$0.isTraining })
        block.train()
        XCTAssertTrue(block.modules().allSatisfy { $0.isTraining })
        block.ln1.freeze()
        XCTAssertEqual(block.trainableParameters().count, block.parameters().count - 2)
        let groups = block.parameterGroups(weightDecay: 0.2)
        XCTAssertEqual(Set(groups[0].parameters.map(\.0)),
                       ["attn.in_proj_weight", "attn.out_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"])
        XCTAssertTrue(groups[1].parameters.allSatisfy { $0.0.hasSuffix("bias") || $0.0.hasPrefix("ln_2") })
        XCTAssertEqual(groups[1].weightDecay, 0)
    }

    func testInitializersHaveTheirScale() {
        let w = Tensor.zeros([256, 512])
        let g = RandomGenerator(seed: 1)
        Init.xavierUniform(w, generator: g)
        let bound = (6 / Float(768)).squareRoot()
        XCTAssertLessThanOrEqual(w.abs().max().item(), bound)
        Init.kaimingNormal(w, generator: g)
        XCTAssertEqual(w.variance(dim: 0).mean().item(), 2 / 512, accuracy: 2e-4)
        Init.truncatedNormal(w, std: 0.02, a: -0.04, b: 0.04, generator: g)
        XCTAssertLessThanOrEqual(w.abs().max().item(), 0.04)
        let lin = Linear(100, 10, generator: g)
        XCTAssertLessThanOrEqual(lin.weight.abs().max().item(), 0.1)
    }

    func testCrossAttentionAgreesWithSelfAttention() {
        let attn = MultiheadAttention(8, heads: 2, generator: RandomGenerator(seed: 4))
        let x = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 5))
        let a = attn(x).toArray(), c = attn(query: x, key: x, value: x).toArray()
        XCTAssertLessThanOrEqual(zip(a, c).map { abs($0 - $1) }.max()!, 1e-5)
    }

    func testSaveAndLoadRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-module-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = Transformer(width: 8, layers: 1, heads: 2, generator: RandomGenerator(seed: 1))
        let b = Transformer(width: 8, layers: 1, heads: 2, generator: RandomGenerator(seed: 2))
        let url = dir.appendingPathComponent("model.safetensors")
        try a.save(to: url)
        try b.load(from: url)
        for ((k, p), (_, q)) in zip(a.namedParameters(), b.namedParameters()) { XCTAssertEqual(p.toArray(), q.toArray(), k) }
        try a.save(to: url, precision: .bf16)
        try b.load(from: url)
        let w = a.resblocks[0].attn.inProjWeight.toArray(), w16 = b.resblocks[0].attn.inProjWeight.toArray()
        XCTAssertTrue(zip(w, w16).allSatisfy { abs($0 - $1) <= abs($0) / 128 })
    }
}
