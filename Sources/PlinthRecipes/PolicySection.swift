import Foundation
import PlinthAdapters
import PlinthData

/// Behaviour cloning of an action head (see `ActionPolicy`) on scripted-expert
/// demonstrations of a control task. The demonstrations are recorded on first
/// use into `<data>/demos/<task>-<episodes>ep-seed<S>-noise<σ>-<H>px[-every]` (as
/// `plinth demos` would), or read from `demos` when given. The image size is
/// the model's vision image size; `data.image` gives the normalization and
/// `data.text` the instruction's tokenizer.
///
/// ```yaml
/// policy:
///   task: reach              # reach, push or cartpole
///   episodes: 300            # demonstrations, seeds from demo_seed (default 0)
///   every_variant: false     # record each layout under every instruction (default false)
///   noise: 0.3               # DART noise on the executed action (default 0.3)
///   head: chunk              # discrete (RT-2), chunk (ACT) or diffusion (Octo)
///   horizon: 4               # actions per prediction (default 1 for discrete, else 4)
///   shift: 4                 # random-shift augmentation in pixels (default 4)
///   # bins: 256, hidden: 256, blocks: 3, diffusion_steps: 20, queries: 4, ensemble_decay: 0.01, demos: PATH
/// ```
public struct PolicySection: Codable, Sendable {
    public var task: String
    public var episodes: Int
    public var demoSeed: UInt64
    public var noise: Float
    public var everyVariant: Bool
    public var demos: String?
    public var shift: Int
    /// The head's settings, read from the same mapping (`PolicyConfig`'s keys and defaults); its
    /// state and action widths come from the demonstrations (`config(stateDimension:actionDimension:)`).
    public var head: PolicyConfig

    enum CodingKeys: String, CodingKey, CaseIterable {
        case task, episodes, demoSeed = "demo_seed", noise, everyVariant = "every_variant", demos, shift
    }

    /// Every key this section accepts: its own and the head's (whose widths the demonstrations give).
    private enum Keys: String, CodingKey, CaseIterable {
        case task, episodes, demoSeed = "demo_seed", noise, everyVariant = "every_variant", demos, shift
        case head, horizon, bins, hidden, blocks, diffusionSteps = "diffusion_steps", queries, ensembleDecay = "ensemble_decay"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Keys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decode(String.self, forKey: .task)
        episodes = try c.decode(Int.self, forKey: .episodes)
        demoSeed = try c.decodeIfPresent(UInt64.self, forKey: .demoSeed) ?? 0
        noise = try c.decodeIfPresent(Float.self, forKey: .noise) ?? 0.3
        everyVariant = try c.decodeIfPresent(Bool.self, forKey: .everyVariant) ?? false
        demos = try c.decodeIfPresent(String.self, forKey: .demos)
        shift = try c.decodeIfPresent(Int.self, forKey: .shift) ?? 4
        head = try PolicyConfig(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(episodes, forKey: .episodes)
        try c.encode(demoSeed, forKey: .demoSeed)
        try c.encode(noise, forKey: .noise)
        try c.encode(everyVariant, forKey: .everyVariant)
        try c.encodeIfPresent(demos, forKey: .demos)
        try c.encode(shift, forKey: .shift)
        var h = encoder.container(keyedBy: PolicyConfig.CodingKeys.self)
        try h.encode(head.head, forKey: .head)
        try h.encode(head.horizon, forKey: .horizon)
        try h.encode(head.bins, forKey: .bins)
        try h.encode(head.hidden, forKey: .hidden)
        try h.encode(head.blocks, forKey: .blocks)
        try h.encode(head.diffusionSteps, forKey: .diffusionSteps)
        try h.encode(head.queries, forKey: .queries)
        try h.encode(head.ensembleDecay, forKey: .ensembleDecay)
    }

    /// The head's settings for demonstrations with these state and action widths.
    public func config(stateDimension: Int, actionDimension: Int) -> PolicyConfig {
        var config = head
        (config.task, config.stateDimension, config.actionDimension) = (task, stateDimension, actionDimension)
        return config
    }

    /// The folder `plinth demos` and a recipe use for these settings by default.
    public static func defaultFolder(task: String, episodes: Int, seed: UInt64, noise: Float, everyVariant: Bool,
                                     imageSize: Int, dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent("demos")
            .appendingPathComponent("\(task)-\(episodes)ep-seed\(seed)-noise\(noise)-\(imageSize)px\(everyVariant ? "-every" : "")")
    }

    /// Reads the demonstrations, recording them first when the default folder has none.
    public func demonstrations(imageSize: Int, dataDirectory: URL, file: String) throws -> Demonstrations {
        let folder = demos.map { Assets.resolve($0) }
            ?? Self.defaultFolder(task: task, episodes: episodes, seed: demoSeed, noise: noise, everyVariant: everyVariant,
                                  imageSize: imageSize, dataDirectory: dataDirectory)
        if demos == nil, !FileManager.default.fileExists(atPath: folder.appendingPathComponent("steps.safetensors").path) {
            let recorder = DemoRecorder(task: task, imageSize: imageSize, episodes: episodes, seed: demoSeed, noise: noise,
                                        everyVariant: everyVariant)
            try recorder.record().save(to: folder)
        }
        let loaded = try Demonstrations.load(from: folder)
        guard loaded.task == task, loaded.imageSize == imageSize else {
            throw RecipeError(file: file, field: "policy.demos",
                              message: "\(folder.path) holds \(loaded.task) at \(loaded.imageSize) px; the recipe needs \(task) at \(imageSize) px")
        }
        return loaded
    }
}
