import Foundation
import Plinth

/// Plinth's side of benchmarks/policy/run.sh, the counterpart of benchmarks/policy/peer.py:
///
///   plinth-bench policy [--batch 64] [--image 64] [--patch 8] [--width 128] [--vision-layers 1] [--shared-layers 2]
///                       [--heads 4] [--tokens 8] [--text-width 384] [--queries 4] [--hidden 256] [--horizon 4]
///                       [--state 2] [--action 2] [--iters 10] [--warmup 3]
///
/// One behaviour-cloning step of an action policy (`ActionPolicy`, chunk head) as
/// recipes/reach-chunk.yaml takes it: the camera image through the vision tower, the
/// instruction's token features pooled by learned queries and FiLM, the state and a
/// readout token through the shared blocks, the chunk head's L1 loss, backward, and an
/// AdamW step over the model and the policy. The text tower is locked in that recipe and
/// its token features cached, so it is not built here: the instruction is random token
/// features [B, L, W] with every token kept. Inputs are random (images N(0, 1), states
/// N(0, 1), actions U(-0.8, 0.8)). Prints one `JSON {...}` line with the median, min and
/// max step time in ms, samples/s (`items_per_s`), the trained parameter count and the first
/// step's loss.
func benchmarkPolicy(_ args: ArraySlice<String>) {
    func value(_ name: String, _ fallback: Int) -> Int {
        guard let i = args.firstIndex(of: name), i + 1 < args.endIndex, let v = Int(args[i + 1]) else { return fallback }
        return v
    }
    let batch = value("--batch", 64), iters = value("--iters", 10), warmup = value("--warmup", 3)
    let (width, heads, image) = (value("--width", 128), value("--heads", 4), value("--image", 64))
    let (tokens, textWidth) = (value("--tokens", 8), value("--text-width", 384))
    let (k, a, p) = (value("--horizon", 4), value("--action", 2), value("--state", 2))
    let generator = RandomGenerator(seed: 0)

    // The recipe's model: a vision tower and shared blocks. Its bert tower (all-MiniLM-L6-v2)
    // only sets the policy's instruction width (`textTokenWidth`); the trained model is built
    // without it.
    let policyModel = ModelConfig(
        embedDim: textWidth, shared: SharedConfig(layers: value("--shared-layers", 2), width: width, heads: heads),
        vision: VisionConfig(imageSize: image, patchSize: value("--patch", 8), width: width,
                             layers: value("--vision-layers", 1), heads: heads),
        bert: BertConfig(vocabSize: 30522, hiddenSize: textWidth, numHiddenLayers: 6, numAttentionHeads: 12,
                         intermediateSize: 4 * textWidth))
    var towers = policyModel
    towers.bert = nil
    let model = try! MultimodalModel(towers, generator: generator)
    let policy = ActionPolicy(PolicyConfig(head: .chunk, horizon: k, hidden: value("--hidden", 256),
                                           queries: value("--queries", 4), task: "reach", stateDimension: p,
                                           actionDimension: a),
                              model: policyModel, generator: generator)
    // Normalization statistics from random "demonstrations" of the same distribution as the batch.
    policy.normalization.fit(actions: Tensor.rand([1024, a], low: -0.8, high: 0.8, generator: generator).toArray(),
                             states: Tensor.randn([1024, p], generator: generator).toArray())
    // As the trainer: the model's parameters (visual.proj, ln_post and logit_scale get no
    // gradient here and AdamW skips them) and the policy's, decay on matrices only.
    let optimizer = AdamW(model.parameterGroups(weightDecay: 0.05) + policy.parameterGroups(weightDecay: 0.05),
                          learningRate: 5e-4)
    let parameters = optimizer.parameters.reduce(0) { $0 + $1.count }

    let images = Tensor.randn([batch, 3, image, image], generator: generator)
    let instruction = TextTokens(tokens: Tensor.randn([batch, tokens, textWidth], generator: generator),
                                 keep: Tensor.ones([batch, tokens]))
    let states = Tensor.randn([batch, p], generator: generator)
    let actions = Tensor.rand([batch, k, a], low: -0.8, high: 0.8, generator: generator)
    let mask = Tensor.ones([batch, k])
    var times: [Double] = []
    var firstLoss: Float = .nan
    for i in 0..<warmup + iters {
        let t0 = now()
        optimizer.zeroGrad()
        let loss = policy.loss(model, images: images, instruction: instruction, states: states, actions: actions,
                               mask: mask, generator: generator)
        loss.backward()
        optimizer.step()
        if i >= warmup { times.append(now() - t0) }
        if i == 0 { firstLoss = loss.item() }
    }
    times.sort()
    emit(["name": "policy", "threads": Threads.count, "batch": batch, "parameters": parameters,
          "median_ms": median(times) * 1e3, "min_ms": times.first! * 1e3, "max_ms": times.last! * 1e3,
          "items_per_s": Double(batch) / median(times), "initial_loss": Double(firstLoss)])
}
