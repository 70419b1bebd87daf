import PlinthModels

/// An action policy's head and the data it was fitted to; stored in the model card,
/// so a saved policy runs with the same chunking and dimensions.
public struct PolicyConfig: Codable, Sendable, Equatable {
    /// The three head families of DESIGN.md section 9.
    public enum Head: String, Codable, Sendable, CaseIterable {
        /// RT-2 / OpenVLA: each normalized action dimension in `bins` uniform bins, predicted as tokens.
        case discrete
        /// ACT: a chunk of `horizon` continuous actions regressed with L1.
        case chunk
        /// Octo / Diffusion Policy: a chunk denoised by an MLP-ResNet in `diffusion_steps` steps.
        case diffusion
    }

    public var head: Head
    /// K, actions predicted per decision (1 for RT-2's single action).
    public var horizon: Int
    public var bins: Int
    /// Width of the chunk head's MLP and of the diffusion head's MLP-ResNet.
    public var hidden: Int
    /// MLP-ResNet blocks of the diffusion head.
    public var blocks: Int
    public var diffusionSteps: Int
    /// Q, learned queries that pool the instruction's tokens (`PolicyTrunk`).
    public var queries: Int
    /// ACT's temporal-ensembling weight exp(-m i) over a step's predictions, the oldest i = 0.
    public var ensembleDecay: Float
    /// The task the demonstrations came from, its P and A.
    public var task: String
    public var stateDimension: Int
    public var actionDimension: Int

    public init(head: Head, horizon: Int, bins: Int = 256, hidden: Int = 256, blocks: Int = 3, diffusionSteps: Int = 20,
                queries: Int = 4, ensembleDecay: Float = 0.01, task: String, stateDimension: Int, actionDimension: Int) {
        (self.head, self.horizon, self.bins, self.hidden, self.blocks) = (head, horizon, bins, hidden, blocks)
        (self.diffusionSteps, self.queries, self.ensembleDecay) = (diffusionSteps, queries, ensembleDecay)
        (self.task, self.stateDimension, self.actionDimension) = (task, stateDimension, actionDimension)
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case head, horizon, bins, hidden, blocks, diffusionSteps = "diffusion_steps", queries, ensembleDecay = "ensemble_decay"
        case task, stateDimension = "state_dimension", actionDimension = "action_dimension"
    }

    /// Only `head` is required: `horizon` defaults to 1 for `discrete` and 4 otherwise, the other
    /// settings to `init`'s defaults. The task and the widths may be absent (a recipe's `policy`
    /// section, whose demonstrations give them); `validate` rejects a config still without them.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let head = try c.decode(Head.self, forKey: .head)
        self.init(head: head, horizon: try c.decodeIfPresent(Int.self, forKey: .horizon) ?? (head == .discrete ? 1 : 4),
                  bins: try c.decodeIfPresent(Int.self, forKey: .bins) ?? 256,
                  hidden: try c.decodeIfPresent(Int.self, forKey: .hidden) ?? 256,
                  blocks: try c.decodeIfPresent(Int.self, forKey: .blocks) ?? 3,
                  diffusionSteps: try c.decodeIfPresent(Int.self, forKey: .diffusionSteps) ?? 20,
                  queries: try c.decodeIfPresent(Int.self, forKey: .queries) ?? 4,
                  ensembleDecay: try c.decodeIfPresent(Float.self, forKey: .ensembleDecay) ?? 0.01,
                  task: try c.decodeIfPresent(String.self, forKey: .task) ?? "",
                  stateDimension: try c.decodeIfPresent(Int.self, forKey: .stateDimension) ?? 0,
                  actionDimension: try c.decodeIfPresent(Int.self, forKey: .actionDimension) ?? 0)
    }

    /// Checks the numbers; `field` names the offending key.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw ModelConfigError(field: field, message: message) }
        }
        try check(!task.isEmpty, "task", "names the task the policy acts in")
        try check((1...64).contains(horizon), "horizon", "must be in 1...64, got \(horizon)")
        try check((2...4096).contains(bins), "bins", "must be in 2...4096, got \(bins)")
        try check((8...8192).contains(hidden), "hidden", "must be in 8...8192, got \(hidden)")
        try check((1...16).contains(blocks), "blocks", "must be in 1...16, got \(blocks)")
        try check((1...1000).contains(diffusionSteps), "diffusion_steps", "must be in 1...1000, got \(diffusionSteps)")
        try check((1...64).contains(queries), "queries", "must be in 1...64, got \(queries)")
        try check(ensembleDecay >= 0, "ensemble_decay", "must be >= 0")
        try check((1...256).contains(stateDimension) && (1...64).contains(actionDimension), "state_dimension",
                  "state and action widths must be in 1...256 and 1...64")
    }
}
