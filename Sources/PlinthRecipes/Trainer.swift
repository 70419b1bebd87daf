import Foundation
import PlinthAdapters
import PlinthData
import PlinthDistributed
import PlinthModalities
import PlinthModels
import PlinthNN
import PlinthObjectives

/// Runs a recipe's training (contrastive pairs, a caption head, a denoiser, or any mix; or an action policy):
/// seeded data order, AdamW with the no-decay groups, warmup + cosine,
/// accumulation, a progress line, a JSONL metrics log, atomic checkpoints every
/// `checkpoint_every` steps, resume from the latest one, and a clean stop with
/// a checkpoint on Ctrl-C.
///
/// Output directory: see `RunDirectory`; the final model is
/// `final/model.safetensors` (a `ModelFile` with its card). A `lora` recipe
/// trains only the adapters, saves them as `final/lora.safetensors`, and
/// writes the final model with them merged. A caption head is saved in the
/// model file under `caption.*`, a denoiser's EMA weights under `diffusion.*`.
///
/// Data parallel, with a `communicator` (N ranks, started by mpirun): rank 0's
/// initial or resumed state (weights, optimizer moments, step) is broadcast;
/// each rank loads its own disjoint 1/N of every batch (`Shard`); gradients
/// are averaged by `GradientReducer`, its buckets started during the step's
/// last backward pass when `train.accumulation` is 1 (after it otherwise);
/// a contrastive loss gathers every rank's features (`ContrastiveGather`).
/// Only rank 0 touches the run directory, so checkpoints hold one copy of the
/// state and a run resumes with any N that divides the batch. With the same
/// global batch, N ranks follow the single-process trajectory (up to float
/// summation order), except for random draws inside a step (dropout, noise),
/// which each rank makes from its own stream.
public final class Trainer {
    public let recipe: Recipe
    public let recipeText: String
    public let run: RunDirectory
    public let dataDirectory: URL
    public let communicator: Communicator?

    /// Every rank of a data-parallel run creates one; only rank 0 creates the run directory.
    public init(recipe: Recipe, recipeText: String, output: URL, dataDirectory: URL = Datasets.defaultDirectory,
                resume: Bool, communicator: Communicator? = nil) throws {
        self.recipe = recipe
        self.recipeText = recipeText
        self.dataDirectory = dataDirectory
        self.communicator = communicator
        run = communicator?.isRoot == false ? RunDirectory(url: output) : try RunDirectory(output, resuming: resume)
    }

    /// What a finished (or interrupted) run reports.
    public struct Summary: Sendable {
        public var steps: Int
        public var totalSteps: Int
        public var interrupted: Bool
        public var seconds: Double
        public var finalLoss: Float
        public var model: URL?
        /// Elements the optimizer updated (LoRA adapters only, or the unlocked parts), and the model's.
        public var trainableParameters: Int
        public var parameters: Int
    }

    /// Trains to the recipe's end, or stops as on Ctrl-C after step `stoppingAfter`.
    public func train(stoppingAfter stop: Int? = nil) throws -> Summary {
        let started = Date()
        let t = recipe.train
        let world = communicator, ranks = communicator?.size ?? 1, isRoot = communicator?.isRoot ?? true
        guard t.batchSize % (ranks * t.accumulation) == 0 else {
            throw RecipeError(file: recipe.name, field: "train.batch_size",
                              message: "\(t.batchSize) does not split over \(ranks) ranks x \(t.accumulation) micro-batches; use a multiple of \(ranks * t.accumulation)")
        }
        let inputs = try ModelInputs(recipe: recipe)
        let shard = Shard(rank: world?.rank ?? 0, count: ranks)
        let demos = try recipe.policy?.demonstrations(imageSize: recipe.model.vision!.imageSize, dataDirectory: dataDirectory,
                                                      file: recipe.name)
        let loader: any BatchSource, examples: Int
        if let demos, let section = recipe.policy {
            let preset = try inputs.requireImagePreset(file: recipe.name)
            loader = try DemoLoader(demos: demos, horizon: section.head.horizon, mean: preset.mean, std: preset.std,
                                    tokenizer: inputs.tokenizer, batchSize: t.batchSize, shard: shard, seed: t.seed, shift: section.shift)
            examples = demos.stepCount
        } else {
            let records = try recipe.records(split: .train, fields: recipe.requiredFields, dataDirectory: dataDirectory,
                                             limit: recipe.data.limit)
            loader = try DataLoader(records: records, fields: recipe.trainingFields, optional: recipe.data.optionalFields,
                                    preprocessing: inputs.preprocessing(training: true, augment: recipe.data.augment), batchSize: t.batchSize,
                                    shard: shard, shuffle: true, dropLast: true, seed: t.seed, workers: t.workers, prefetch: 2)
            examples = records.count
        }
        guard loader.batchesPerEpoch > 0 else {
            throw RecipeError(file: recipe.name, field: "train.batch_size",
                              message: "\(t.batchSize) is larger than the \(examples) training examples")
        }
        let totalSteps = t.steps ?? (t.epochs! * loader.batchesPerEpoch)

        let generator = RandomGenerator(seed: t.seed)
        let model = try MultimodalModel(recipe.model, generator: generator)
        let initialized = try recipe.initialization?.apply(to: model, recipe: recipe.name) ?? []
        let lockedText = recipe.initialization?.lock == true && initialized.contains(.text) ? LockedTextCache() : nil
        let adapters = try recipe.lora.map { try LoRAAdapters(attachingTo: model, config: $0, generator: generator) }
        // Parts taken from `init` that never train are restored from there on resume, not checkpointed.
        let fixed = adapters != nil || recipe.initialization?.lock == true ? initialized : []
        let frozenModel = adapters == nil && !model.parameters().contains { $0.requiresGrad && $0 !== model.logitScale }
        let captioning = try recipe.caption.map { section in
            CaptionStep(fields: section.fields,
                        head: CaptionHead(section.head, conditionWidth: section.head.conditionWidth(recipe.model), generator: generator),
                        tokenizer: try section.tokenizer(fallback: recipe.data.text, file: recipe.name), weight: section.weight,
                        frozenModel: frozenModel)
        }
        let diffusing = try recipe.diffusion.map { section in
            let denoiser = Denoiser(section.denoiser, conditionWidth: recipe.model.embedDim, generator: generator)
            return DiffusionStep(section: section, denoiser: denoiser, ema: EMA(denoiser, decay: section.emaDecay),
                                 preset: try inputs.requireImagePreset(file: recipe.name), frozenModel: frozenModel,
                                 generator: generator)
        }
        let policy = try demos.map { demos in
            let p = ActionPolicy(recipe.policy!.config(stateDimension: demos.stateDimension, actionDimension: demos.actionDimension),
                                 model: recipe.model, generator: generator)
            p.normalization.fit(actions: demos.actions, states: demos.states)
            try p.config.validate()
            return PolicyStep(policy: p, lockedText: lockedText, generator: generator)
        }
        let state = TrainingState(model: model, adapters: adapters, caption: captioning?.head, diffusion: diffusing,
                                  policy: policy?.policy, leaving: fixed)
        let groups = (adapters.map { [$0.parameterGroup(weightDecay: 0)] } ?? model.parameterGroups(weightDecay: t.weightDecay))
            + (captioning?.head.parameterGroups(weightDecay: t.weightDecay) ?? [])
            + (diffusing?.denoiser.parameterGroups(weightDecay: t.weightDecay) ?? [])
            + (policy?.policy.parameterGroups(weightDecay: t.weightDecay) ?? [])
        let optimizer = AdamW(groups, learningRate: t.learningRate, betas: (t.betas[0], t.betas[1]), eps: t.eps)
        let schedule = WarmupCosineSchedule(base: t.learningRate, warmup: min(t.warmupSteps, totalSteps - 1),
                                            total: totalSteps)
        var step = 0
        if isRoot, let latest = try run.latestCheckpoint() {
            step = try TrainingCheckpoint.load(from: latest, model: state, optimizer: optimizer, generator: generator).step
        } else if isRoot {
            try run.writeRecipe(recipeText)
        }
        let reducer = try world.map { world in
            step = try world.synchronize(state: state, optimizer: optimizer, generator: generator, step: step)
            let trainable = Set(optimizer.parameters.map(ObjectIdentifier.init))
            return try GradientReducer(parameters: state.parameters().filter { trainable.contains(ObjectIdentifier($0)) },
                                       communicator: world, bucketBytes: recipe.distributed.bucketBytes)
        }
        let log = isRoot ? try MetricsLog(url: run.metricsURL, truncatingAfter: step) : nil
        let progress = isRoot ? ProgressBar(total: totalSteps, start: step) : nil
        Interrupt.install()
        defer { Interrupt.uninstall() }

        func checkpoint() throws {
            guard isRoot else { return }
            try run.saveCheckpoint(step: step, keepLast: t.keepCheckpoints) { url in
                try TrainingCheckpoint.save(to: url, model: state, optimizer: optimizer, step: step,
                                            generator: generator, config: recipeText)
            }
        }

        let gather = world.map { ContrastiveGather(communicator: $0, localLoss: recipe.distributed.localLoss,
                                                   withGradient: recipe.distributed.gatherWithGrad) }
        let contrastive = recipe.objective.pairs.isEmpty ? nil
            : ContrastiveStep(pairs: recipe.objective.pairs, lockedText: lockedText, gather: gather)
        let microBatch = t.batchSize / ranks / t.accumulation
        /// Runs an objective, the step's last one when `last`: its backward pass then starts the gradient buckets.
        func objective<R>(last: Bool, _ body: () throws -> R) rethrows -> R {
            guard let reducer, last, t.accumulation == 1 else { return try body() }
            return try Autograd.withLeafGradientHook(reducer.gradientReady, body)
        }
        var lastLoss: Float = .nan
        model.train()
        training: while step < totalSteps {
            let epoch = step / loader.batchesPerEpoch
            let batches = loader.stream(epoch: epoch, startingAt: step % loader.batchesPerEpoch)
            while step < totalSteps, let batch = try batches.next() {
                let stepStart = DispatchTime.now().uptimeNanoseconds, collectivesBefore = world?.secondsInCollectives ?? 0
                schedule.apply(to: optimizer)
                optimizer.zeroGrad()
                let parts = (0..<t.accumulation).map { batch.slice($0 * microBatch..<($0 + 1) * microBatch) }
                var contrastiveLoss = try contrastive.map { c in
                    try objective(last: captioning == nil && diffusing == nil) { try c(model, parts) }
                }
                var captionLoss = try captioning.map { c in try objective(last: diffusing == nil) { try c(model, parts) } }
                var diffusionLoss = diffusing.map { d in objective(last: policy == nil) { d(model, parts) } }
                var policyLoss = try policy.map { p in try objective(last: true) { try p(model, parts) } }
                var stopping = Interrupt.isRequested || step + 1 == stop
                if let world, let reducer {
                    try reducer.finish()
                    // Every rank logs the global means, and stops at the same step.
                    let means = try world.mean([contrastiveLoss ?? 0, captionLoss ?? 0, diffusionLoss ?? 0, policyLoss ?? 0,
                                                stopping ? 1 : 0])
                    contrastiveLoss = contrastiveLoss.map { _ in means[0] }
                    captionLoss = captionLoss.map { _ in means[1] }
                    diffusionLoss = diffusionLoss.map { _ in means[2] }
                    policyLoss = policyLoss.map { _ in means[3] }
                    stopping = means[4] > 0
                }
                lastLoss = (contrastiveLoss ?? 0) + (captionLoss ?? 0) * (recipe.caption?.weight ?? 0)
                    + (diffusionLoss ?? 0) * (recipe.diffusion?.weight ?? 0) + (policyLoss ?? 0)
                guard lastLoss.isFinite else {
                    throw RecipeError(file: recipe.name, field: "train.learning_rate",
                                      message: "the loss became \(lastLoss) at step \(step + 1); lower the learning rate")
                }
                let gradNorm = t.gradClip.map { clipGradNorm(optimizer.parameters, maxNorm: $0) }
                optimizer.step()
                clampLogitScale(model.logitScale)
                diffusing?.ema.update(after: step)
                step += 1
                let scale = Foundation.exp(model.logitScale.item())
                var fields = [("loss", String(format: "%.4f", lastLoss))]
                if contrastive != nil { fields.append(("scale", String(format: "%.1f", scale))) }
                progress?.update(step: step, items: t.batchSize, fields: fields)
                var entry: [(String, MetricValue)] = [
                    ("step", .int(step)), ("epoch", .int(epoch)), ("loss", .number(lastLoss)),
                    ("logit_scale", .number(scale)), ("lr", .number(optimizer.learningRate)),
                    ("items_per_s", progress?.itemsPerSecond.map { .number($0) } ?? .null),
                ]
                if let captionLoss { entry.append(("caption_loss", .number(captionLoss))) }
                if let diffusionLoss { entry.append(("diffusion_loss", .number(diffusionLoss))) }
                if let policyLoss { entry.append(("policy_loss", .number(policyLoss))) }
                if let gradNorm { entry.append(("grad_norm", .number(gradNorm))) }
                entry.append(("step_s", .number(Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9)))
                if let world, let reducer {
                    // Rank 0's time in collectives (waiting for the other ranks included), and the
                    // part of it spent waiting for the gradient all-reduce after backward.
                    let comm = world.secondsInCollectives - collectivesBefore + reducer.lastWaitSeconds
                    entry.append(("comm_s", .number(comm)))
                    entry.append(("allreduce_wait_s", .number(reducer.lastWaitSeconds)))
                }
                try log?.append(entry)
                if stopping { break training }
                if step % t.checkpointEvery == 0 && step < totalSteps { try checkpoint() }
            }
        }
        progress?.finish()
        try checkpoint()
        let interrupted = step < totalSteps
        var modelURL: URL?
        if !interrupted && isRoot {
            var source = "plinth train, \(step) steps"
            if let adapters {
                let url = run.finalModelURL.deletingLastPathComponent().appendingPathComponent("lora.safetensors")
                try adapters.save(to: url)
                adapters.mergeAll()
                source += ", LoRA adapters (lora.safetensors) merged"
            }
            let card = ModelCard(name: recipe.name, config: recipe.model, imagePreset: recipe.data.image,
                                 audioPreset: recipe.data.audio, textPreset: recipe.data.text, caption: recipe.caption.map { var c = $0; c.text = c.text ?? recipe.data.text; return c },
                                 diffusion: recipe.diffusion, policy: policy?.policy.config, recipe: recipeText, source: source)
            modelURL = run.finalModelURL
            // The model file keeps the denoiser's average, as DiT samples with its EMA weights.
            if let diffusing { try diffusing.denoiser.load(stateDict: diffusing.ema.stateDict()) }
            try ModelFile.save(model, caption: captioning?.head, diffusion: diffusing?.denoiser, policy: policy?.policy, card: card,
                               to: run.finalModelURL)
        }
        return Summary(steps: step, totalSteps: totalSteps, interrupted: interrupted,
                       seconds: Date().timeIntervalSince(started), finalLoss: lastLoss, model: modelURL,
                       trainableParameters: optimizer.parameters.reduce(0) { $0 + $1.count },
                       parameters: model.parameterCount + (captioning?.head.parameterCount ?? 0)
                           + (diffusing?.denoiser.parameterCount ?? 0) + (policy?.policy.parameterCount ?? 0))
    }
}

/// What a checkpoint holds: the model's tensors under their own keys, except
/// the `fixed` parts (frozen copies of the `init` file), the LoRA adapters
/// (not part of the model's state) under `lora.<key>`, a caption head under
/// `caption.*`, a denoiser under `diffusion.*` and its average under `diffusion_ema.*`, an
/// action policy (normalization statistics included) under `policy.*`.
final class TrainingState: Module {
    let model: MultimodalModel
    let adapters: LoRAAdapters?
    let caption: CaptionHead?
    let diffusion: DiffusionStep?
    let policy: ActionPolicy?
    let fixed: Set<ModelPart>
    var isTraining = true

    init(model: MultimodalModel, adapters: LoRAAdapters?, caption: CaptionHead?, diffusion: DiffusionStep?,
         policy: ActionPolicy?, leaving fixed: Set<ModelPart>) {
        (self.model, self.adapters, self.caption, self.diffusion, self.fixed) = (model, adapters, caption, diffusion, fixed)
        self.policy = policy
    }

    var items: [(String, ModuleItem)] {
        var out = model.items.filter { ModelPart(key: $0.0).map { !fixed.contains($0) } ?? true }
        out += adapters?.namedParameters.map { ("lora.\($0.0)", .parameter($0.1)) } ?? []
        if let caption { out.append(("caption", .module(caption))) }
        if let diffusion { out += [("diffusion", .module(diffusion.denoiser)), ("diffusion_ema", .module(diffusion.ema))] }
        if let policy { out.append(("policy", .module(policy))) }
        return out
    }
}

extension Communicator {
    /// Starts every rank from rank 0's `state` (module tensors, optimizer
    /// state) and `step`, returned; rank r > 0 then draws from its own random
    /// stream, derived from rank 0's. Collective.
    fileprivate func synchronize(state: any Module, optimizer: any Optimizer, generator: RandomGenerator, step: Int) throws -> Int {
        for (_, t) in state.stateDict().sorted(by: { $0.key < $1.key }) { try broadcast(t) }
        try optimizer.load(stateDict: broadcast(isRoot ? optimizer.stateDict() : [:]))
        var shared = [UInt64(step)] + generator.state
        try shared.withUnsafeMutableBufferPointer { try broadcast($0) }
        if !isRoot { generator.seed(shared[1] &+ UInt64(rank) &* 0x9E37_79B9_7F4A_7C15) }
        return Int(shared[0])
    }
}
