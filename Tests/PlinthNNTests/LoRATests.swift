import Foundation
import PlinthNN
import PlinthTestSupport
import XCTest

/// LoRA adapters: PEFT's init and keys, gradients through Linear and attention,
/// merging, freezing, files, target matching and a short adapter-only training run.
final class LoRATests: XCTestCase {
    /// An adapter whose B is nonzero, so its update, gradients and merges are not trivial.
    private func randomLoRA(_ i: Int, _ o: Int, rank: Int = 2, alpha: Float = 4, seed: UInt64) -> LoRA {
        let g = RandomGenerator(seed: seed)
        let lora = LoRA(inFeatures: i, outFeatures: o, rank: rank, alpha: alpha, generator: g)
        lora.loraB.assign(Tensor.randn([o, rank], std: 0.5, generator: g))
        return lora
    }

    /// Gives every adapter a nonzero B.
    private func randomizeB(_ adapters: LoRAAdapters, seed: UInt64) {
        let g = RandomGenerator(seed: seed)
        for (_, lora) in adapters.adapters { lora.loraB.assign(Tensor.randn(lora.loraB.shape, std: 0.3, generator: g)) }
    }

    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plinth-lora-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    // MARK: - The layer

    func testInitFollowsPEFT() {
        let lora = LoRA(inFeatures: 64, outFeatures: 48, rank: 8, alpha: 16, generator: RandomGenerator(seed: 1))
        XCTAssertEqual(lora.namedParameters().map(\.0), ["lora_A.weight", "lora_B.weight"])
        XCTAssertEqual(lora.loraA.shape, [8, 64])
        XCTAssertEqual(lora.loraB.shape, [48, 8])
        XCTAssertEqual(lora.scale, 2)
        XCTAssertTrue(lora.loraA.requiresGrad && lora.loraB.requiresGrad)
        XCTAssertLessThanOrEqual(lora.loraA.abs().max().item(), 1 / Float(64).squareRoot())
        // U(-b, b) has variance b^2 / 3 = 1 / (3 I).
        let variance = lora.loraA.reshape([-1]).variance(dim: 0).item()
        XCTAssertEqual(variance, 1 / (3 * 64), accuracy: 0.2 / (3 * 64))
        XCTAssertEqual(lora.loraB.abs().max().item(), 0)
    }

    func testForwardAndDeltaFollowTheFormula() {
        let lin = Linear(6, 5, generator: RandomGenerator(seed: 2))
        let lora = randomLoRA(6, 5, rank: 3, alpha: 6, seed: 3)
        lin.lora = lora
        let x = Tensor.randn([2, 4, 6], generator: RandomGenerator(seed: 4))
        let base = Tensor.linear(x, lin.weight, lin.bias)
        let expected = base + Tensor.matmul(Tensor.matmul(x, lora.loraA.T), lora.loraB.T) * 2  // scale 6 / 3
        XCTAssertLessThanOrEqual(maxAbsDifference(lin(x), expected), 1e-5)
        XCTAssertEqual(lora.delta.shape, [5, 6])
        let viaDelta = Tensor.linear(x, lin.weight + lora.delta, lin.bias)
        XCTAssertLessThanOrEqual(maxAbsDifference(lin(x), viaDelta), 1e-5)
        // Selected output rows are the matching slice of the full update.
        let rows = lora(x, outputs: 1..<4), full = lora(x)
        XCTAssertLessThanOrEqual(maxAbsDifference(rows, full.slice(2, 1..<4).contiguous()), 1e-6)
    }

    func testAttachedAdaptersStartAsTheBaseModel() throws {
        let model = Transformer(width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 5))
        let x = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 6))
        let before = model(x, causal: true).toArray()
        let adapters = try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 2, alpha: 4),
                                        generator: RandomGenerator(seed: 7))
        XCTAssertEqual(adapters.adapters.count, 8)
        XCTAssertEqual(model(x, causal: true).toArray(), before, "B = 0, so the update is exactly zero")
    }

    // MARK: - Gradients

    func testGradientThroughLinear() {
        let lin = Linear(6, 5, generator: RandomGenerator(seed: 8))
        let lora = randomLoRA(6, 5, rank: 3, seed: 9)
        let x = Tensor.randn([2, 3, 6], generator: RandomGenerator(seed: 10))
        let result = gradientCheck([x, lora.loraA, lora.loraB]) { t in
            lin.lora = LoRA(loraA: t[1], loraB: t[2], alpha: 4)
            return lin(t[0])
        }
        XCTAssertTrue(result.passed, "\(result)")
    }

    func testGradientThroughSelfAttention() {
        let attn = MultiheadAttention(8, heads: 2, generator: RandomGenerator(seed: 11))
        let inProj = randomLoRA(8, 24, seed: 12), outProj = randomLoRA(8, 8, seed: 13)
        let x = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 14))
        let result = gradientCheck([x, inProj.loraA, inProj.loraB, outProj.loraA, outProj.loraB]) { t in
            attn.inProjLoRA = LoRA(loraA: t[1], loraB: t[2], alpha: 4)
            attn.outProj.lora = LoRA(loraA: t[3], loraB: t[4], alpha: 4)
            return attn(t[0], causal: true)
        }
        XCTAssertTrue(result.passed, "\(result)")
    }

    func testGradientThroughCrossAttention() {
        let attn = MultiheadAttention(8, heads: 2, generator: RandomGenerator(seed: 15))
        let inProj = randomLoRA(8, 24, seed: 16)
        let q = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 17))
        let kv = Tensor.randn([2, 4, 8], generator: RandomGenerator(seed: 18))
        let result = gradientCheck([q, kv, inProj.loraA, inProj.loraB]) { t in
            attn.inProjLoRA = LoRA(loraA: t[2], loraB: t[3], alpha: 4)
            return attn(query: t[0], key: t[1], value: t[1])
        }
        XCTAssertTrue(result.passed, "\(result)")
    }

    // MARK: - Merging

    func testMergeMatchesUnmergedAndUnmergeRestores() {
        let lin = Linear(6, 5, generator: RandomGenerator(seed: 19))
        let lora = randomLoRA(6, 5, seed: 20)
        lin.lora = lora
        let x = Tensor.randn([3, 6], generator: RandomGenerator(seed: 21))
        let unmerged = lin(x), weight = lin.weight.copy()
        lora.merge(into: lin.weight)
        XCTAssertTrue(lora.isMerged)
        XCTAssertLessThanOrEqual(maxAbsDifference(lin(x), unmerged), 1e-5)
        let base = Tensor.linear(x, lin.weight, lin.bias)
        XCTAssertEqual(lora.adding(to: base, input: x).toArray(), base.toArray(), "a merged adapter adds nothing")
        lora.unmerge(from: lin.weight)
        XCTAssertFalse(lora.isMerged)
        XCTAssertLessThanOrEqual(maxAbsDifference(lin.weight, weight), 1e-6)
    }

    func testMergedAttentionMatchesUnmergedInBothPaths() {
        let attn = MultiheadAttention(8, heads: 2, generator: RandomGenerator(seed: 22))
        let inProj = randomLoRA(8, 24, seed: 23), outProj = randomLoRA(8, 8, seed: 24)
        attn.inProjLoRA = inProj
        attn.outProj.lora = outProj
        let x = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 25))
        let kv = Tensor.randn([2, 5, 8], generator: RandomGenerator(seed: 26))
        let selfOut = attn(x), crossOut = attn(query: x, key: kv, value: kv)
        XCTAssertLessThanOrEqual(maxAbsDifference(attn(query: x, key: x, value: x), selfOut), 1e-5,
                                 "the q, k, v slices of the update agree with the packed update")
        let weight = attn.inProjWeight.copy()
        inProj.merge(into: attn.inProjWeight)
        outProj.merge(into: attn.outProj.weight)
        XCTAssertLessThanOrEqual(maxAbsDifference(attn(x), selfOut), 1e-5)
        XCTAssertLessThanOrEqual(maxAbsDifference(attn(query: x, key: kv, value: kv), crossOut), 1e-5)
        inProj.unmerge(from: attn.inProjWeight)
        outProj.unmerge(from: attn.outProj.weight)
        XCTAssertLessThanOrEqual(maxAbsDifference(attn.inProjWeight, weight), 1e-6)
        XCTAssertLessThanOrEqual(maxAbsDifference(attn(query: x, key: kv, value: kv), crossOut), 1e-5)
    }

    func testMergeAllThenDetachRestoresTheBase() throws {
        let model = Transformer(width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 27))
        let x = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 28))
        let baseOut = model(x), baseWeights = model.stateDict().mapValues { $0.copy() }
        let adapters = try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 2, alpha: 4),
                                        generator: RandomGenerator(seed: 29))
        randomizeB(adapters, seed: 30)
        let adapted = model(x)
        XCTAssertGreaterThan(maxAbsDifference(adapted, baseOut), 1e-3)
        adapters.mergeAll()
        XCTAssertLessThanOrEqual(maxAbsDifference(model(x), adapted), 1e-5)
        adapters.detach()  // unmerges first
        XCTAssertFalse(adapters.isAttached)
        for (key, t) in model.stateDict() {
            XCTAssertLessThanOrEqual(maxAbsDifference(t, baseWeights[key]!), 1e-6, key)
        }
        XCTAssertLessThanOrEqual(maxAbsDifference(model(x), baseOut), 1e-5)
        XCTAssertTrue(model.parameters().allSatisfy(\.requiresGrad), "detach restores requiresGrad")
        XCTAssertTrue(model.resblocks[0].attn.inProjLoRA == nil && model.resblocks[0].mlp.cFc.lora == nil)
    }

    // MARK: - Attaching

    func testAttachingFreezesTheBaseAndOnlyAdaptersGetGradients() throws {
        let model = Transformer(width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 31))
        let keys = model.stateDict().keys.sorted()
        let adapters = try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 2, alpha: 4),
                                        generator: RandomGenerator(seed: 32))
        XCTAssertEqual(model.stateDict().keys.sorted(), keys, "the base keys do not change")
        XCTAssertEqual(adapters.namedParameters.prefix(8).map(\.0), [
            "resblocks.0.attn.in_proj.lora_A.weight", "resblocks.0.attn.in_proj.lora_B.weight",
            "resblocks.0.attn.out_proj.lora_A.weight", "resblocks.0.attn.out_proj.lora_B.weight",
            "resblocks.0.mlp.c_fc.lora_A.weight", "resblocks.0.mlp.c_fc.lora_B.weight",
            "resblocks.0.mlp.c_proj.lora_A.weight", "resblocks.0.mlp.c_proj.lora_B.weight",
        ])
        XCTAssertTrue(model.trainableParameters().isEmpty)
        randomizeB(adapters, seed: 33)
        model(Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 34))).square().sum().backward()
        for (key, p) in model.namedParameters() { XCTAssertNil(p.grad, key) }
        for (key, p) in adapters.namedParameters {
            XCTAssertNotNil(p.grad, key)
            XCTAssertGreaterThan(p.grad?.abs().max().item() ?? 0, 0, key)
        }
    }

    func testParameterCountIsRankTimesInPlusOut() throws {
        let model = Transformer(width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 35))
        let adapters = try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 2, alpha: 4))
        // Per block: in_proj 2 * (8 + 24), out_proj 2 * (8 + 8), c_fc and c_proj 2 * (8 + 32) each.
        XCTAssertEqual(adapters.parameterCount, 2 * (64 + 32 + 80 + 80))
        XCTAssertEqual(adapters.parameterCount,
                       adapters.adapters.reduce(0) { $0 + $1.lora.rank * ($1.lora.inFeatures + $1.lora.outFeatures) })
    }

    func testUnmatchedTargetsNameTheCandidates() {
        let model = Transformer(width: 8, layers: 2, heads: 2)
        XCTAssertThrowsError(try LoRAAdapters(attachingTo: model, config: LoRAConfig(targets: ["attn.q_proj", "mlp", "mlp.c_fc"]))) { error in
            let e = error as! LoRAError
            XCTAssertEqual(e.kind, .unmatchedTargets)
            let text = e.description
            XCTAssertTrue(text.contains("\"attn.q_proj\", \"mlp\" match no layer"), text)
            XCTAssertTrue(text.contains("8 candidates: resblocks.*.attn.in_proj, resblocks.*.attn.out_proj, resblocks.*.mlp.c_fc, resblocks.*.mlp.c_proj"), text)
        }
        XCTAssertTrue(model.resblocks.allSatisfy { $0.mlp.cFc.lora == nil }, "nothing attached on error")
        XCTAssertTrue(model.parameters().allSatisfy(\.requiresGrad), "nothing frozen on error")
        XCTAssertThrowsError(try LoRAAdapters(attachingTo: model, config: LoRAConfig(targets: ["proj"])),
                             "targets match whole segments")
        XCTAssertThrowsError(try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 0))) {
            XCTAssertEqual(($0 as! LoRAError).kind, .invalidConfig)
        }
    }

    func testTargetsMatchKeySuffixesWithWildcards() throws {
        let model = TinyTransformer(vocab: 8, length: 4, width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 36))
        let one = try LoRAAdapters(attachingTo: model, config: LoRAConfig(targets: ["resblocks.1.mlp.c_fc", "head"]))
        XCTAssertEqual(one.adapters.map(\.key), ["transformer.resblocks.1.mlp.c_fc", "head"])
        XCTAssertThrowsError(try LoRAAdapters(attachingTo: model, config: LoRAConfig(targets: ["head"]))) {
            XCTAssertEqual(($0 as! LoRAError).kind, .alreadyAdapted)
        }
        one.detach()
        let all = try LoRAAdapters(attachingTo: model, config: LoRAConfig(targets: ["transformer.resblocks.*.attn.in_proj"]))
        XCTAssertEqual(all.adapters.map(\.key), ["transformer.resblocks.0.attn.in_proj", "transformer.resblocks.1.attn.in_proj"])
        XCTAssertEqual(all.adapters[0].lora.loraB.shape, [24, 8])
    }

    func testNamedModulesUseDottedKeys() {
        let block = Transformer(width: 8, layers: 1, heads: 2)
        XCTAssertEqual(block.namedModules().map(\.0), [
            "", "resblocks.0", "resblocks.0.ln_1", "resblocks.0.attn", "resblocks.0.attn.out_proj",
            "resblocks.0.ln_2", "resblocks.0.mlp", "resblocks.0.mlp.c_fc", "resblocks.0.mlp.c_proj",
        ])
        XCTAssertTrue(block.namedModules()[3].1 === block.resblocks[0].attn)
    }

    func testConfigCodesWithSnakeCaseKeysAndRejectsUnknownOnes() throws {
        let config = LoRAConfig(rank: 4, alpha: 8, targets: ["attn.in_proj", "mlp.c_fc"])
        let data = try JSONEncoder().encode(config)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["rank", "alpha", "targets"])
        XCTAssertEqual(try JSONDecoder().decode(LoRAConfig.self, from: data), config)
        let misspelt = Data(#"{"rank": 4, "alpha": 8, "targets": [], "lora_dropout": 0.1}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(LoRAConfig.self, from: misspelt)) { error in
            XCTAssertTrue("\(error)".contains("unknown key 'lora_dropout'"), "\(error)")
        }
    }

    // MARK: - Files

    func testSaveAndLoadRoundTrip() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("adapter.safetensors")
        let config = LoRAConfig(rank: 2, alpha: 4, targets: ["attn.in_proj", "mlp.c_proj"])
        let x = Tensor.randn([2, 3, 8], generator: RandomGenerator(seed: 37))

        let a = Transformer(width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 38))
        let saved = try LoRAAdapters(attachingTo: a, config: config, generator: RandomGenerator(seed: 39))
        randomizeB(saved, seed: 40)
        try saved.save(to: url, metadata: ["note": "test"])
        let file = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, saved.namedParameters.map(\.0).sorted())
        XCTAssertEqual(file.metadata["note"], "test")
        XCTAssertEqual(try LoRAAdapters.config(from: url), config)

        let b = Transformer(width: 8, layers: 2, heads: 2, generator: RandomGenerator(seed: 38))
        let loaded = try LoRAAdapters(attachingTo: b, config: config, generator: RandomGenerator(seed: 41))
        try loaded.load(from: url)
        for ((ka, ta), (kb, tb)) in zip(saved.namedParameters, loaded.namedParameters) {
            XCTAssertEqual(ka, kb)
            XCTAssertEqual(ta.toArray(), tb.toArray(), ka)
        }
        XCTAssertEqual(b(x).toArray(), a(x).toArray())

        // Loading into merged adapters keeps them merged, with the file's values.
        randomizeB(loaded, seed: 42)
        loaded.mergeAll()
        try loaded.load(from: url)
        XCTAssertTrue(loaded.adapters.allSatisfy { $0.lora.isMerged })
        XCTAssertLessThanOrEqual(maxAbsDifference(b(x), a(x)), 1e-5)
    }

    func testLoadIsStrictAndNamesTheFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("adapter.safetensors")
        let model = Transformer(width: 8, layers: 1, heads: 2)
        let saved = try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 2, alpha: 4, targets: ["mlp.c_fc", "mlp.c_proj"]))
        try saved.save(to: url)
        saved.detach()

        let other = try LoRAAdapters(attachingTo: model, config: LoRAConfig(rank: 4, alpha: 4, targets: ["mlp.c_fc", "attn.out_proj"]))
        let before = other.parameters.map { $0.toArray() }
        XCTAssertThrowsError(try other.load(from: url)) { error in
            let e = error as! LoRAError
            XCTAssertEqual(e.kind, .fileMismatch)
            let text = e.description
            XCTAssertTrue(text.contains(url.path), text)
            XCTAssertTrue(text.contains("missing keys (2): resblocks.0.attn.out_proj.lora_A.weight, resblocks.0.attn.out_proj.lora_B.weight"), text)
            XCTAssertTrue(text.contains("unexpected keys (2): resblocks.0.mlp.c_proj.lora_A.weight, resblocks.0.mlp.c_proj.lora_B.weight"), text)
            XCTAssertTrue(text.contains("shape mismatch for resblocks.0.mlp.c_fc.lora_A.weight: module has [4, 8], state dict has [2, 8]"), text)
            XCTAssertTrue(text.contains("saved with rank 2, alpha 4.0; the adapters have rank 4, alpha 4.0"), text)
        }
        XCTAssertEqual(other.parameters.map { $0.toArray() }, before, "a failed load changes nothing")
    }

    // MARK: - Training

    func testAdapterOnlyTrainingFitsALowRankChange() throws {
        // Teacher: the student's base MLP with a rank-2 change to c_fc. Only the adapters train.
        let student = MLP(8, hidden: 16, generator: RandomGenerator(seed: 43))
        let teacher = MLP(8, hidden: 16, generator: RandomGenerator(seed: 43))
        let g = RandomGenerator(seed: 44)
        teacher.cFc.weight.addInPlace(Tensor.matmul(Tensor.randn([16, 2], generator: g), Tensor.randn([2, 8], generator: g)) * 0.3)
        let x = Tensor.randn([64, 8], generator: g)
        let target = withNoGrad { teacher(x) }
        let base = student.stateDict().mapValues { $0.toArray() }

        let adapters = try LoRAAdapters(attachingTo: student, config: LoRAConfig(rank: 2, alpha: 2, targets: ["c_fc", "c_proj"]),
                                        generator: RandomGenerator(seed: 45))
        let optimizer = AdamW([adapters.parameterGroup()], learningRate: 2e-2)
        var losses: [Float] = []
        for _ in 0..<200 {
            optimizer.zeroGrad()
            let loss = Tensor.mseLoss(student(x), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        }
        print("LoRA regression: loss \(losses[0]) at step 0, \(losses.last!) at step 199")
        XCTAssertLessThan(losses.last!, 0.1 * losses[0])
        XCTAssertEqual(student.stateDict().mapValues { $0.toArray() }, base, "the base weights never move")

        let adapted = withNoGrad { student(x) }
        adapters.mergeAndDetach()
        XCTAssertNil(student.cFc.lora)
        XCTAssertLessThanOrEqual(maxAbsDifference(withNoGrad { student(x) }, adapted), 1e-5)
    }
}
