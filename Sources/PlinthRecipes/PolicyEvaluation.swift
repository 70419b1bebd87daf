import Foundation
import PlinthData
import PlinthModalities
import PlinthTensor

/// What chooses a rollout's actions.
public enum Controller {
    /// A trained policy.
    case policy(PolicyRunner)
    /// The task's scripted expert.
    case expert
    /// Uniform draws within the action bounds.
    case random
}

/// Closed-loop rollouts of a controller on a task (`plinth act`).
///
/// Episode i starts from `DemoRecorder.episodeSeed(seed, i)`, as demonstrations do, so a seed other than
/// the demonstrations' gives layouts and instruction draws they never showed.
/// With `contrast`, each layout runs twice, under its variant 0 and variant 1
/// instructions (two different target objects, or cart positions), to show
/// that the instruction, not the scene, decides the behaviour.
public struct PolicyEvaluation {
    public var task: String
    public var episodes: Int
    public var seed: UInt64
    public var phrasing: Phrasing
    public var contrast: Bool

    public init(task: String, episodes: Int, seed: UInt64, phrasing: Phrasing = .training, contrast: Bool = false) {
        (self.task, self.episodes, self.seed, self.phrasing, self.contrast) = (task, episodes, seed, phrasing, contrast)
    }

    /// One rollout's outcome.
    public struct Episode: Codable, Sendable {
        public var seed: UInt64
        public var variant: Int
        public var instruction: String
        public var success: Bool
        public var length: Int
    }

    /// Success rate with a 95% Wilson interval, mean episode length and throughput.
    public struct Report: Codable, Sendable {
        public var task: String
        public var controller: String
        public var episodes: [Episode]
        public var successRate: Double
        public var interval: [Double]
        public var meanLength: Double
        public var actionsPerSecond: Double
        /// With `contrast`: layouts where both instructions succeeded, of all layouts.
        public var bothInstructionsRate: Double?

        enum CodingKeys: String, CodingKey {
            case task, controller, episodes, successRate = "success_rate", interval = "interval_95"
            case meanLength = "mean_length", actionsPerSecond = "actions_per_second", bothInstructionsRate = "both_instructions_rate"
        }
    }

    /// Runs the rollouts; `filmstrip` receives the frames of the first episode.
    public func run(_ controller: Controller, name: String, imageSize: Int, progress: ((Int, Int) -> Void)? = nil,
                    filmstrip: (([RGBImage]) throws -> Void)? = nil) throws -> Report {
        guard (1...100_000).contains(episodes) else {
            throw DataError(.invalidArgument, source: "plinth act", field: "episodes", "must be in 1...100000, got \(episodes)")
        }
        let env = try ControlTasks.make(task, imageSize: imageSize)
        let random = RandomGenerator(seed: seed ^ 0x7261_6E64)
        var results: [Episode] = []
        var actions = 0, seconds = 0.0
        let runs = contrast ? [0, 1] : [nil]
        for i in 0..<episodes {
            let episodeSeed = DemoRecorder.episodeSeed(seed, i)
            for variant in runs {
                var observation = env.reset(seed: episodeSeed, variant: variant, phrasing: phrasing)
                if case .policy(let runner) = controller { runner.reset() }
                var frames = [observation.image]
                var success = false
                let start = DispatchTime.now().uptimeNanoseconds
                while true {
                    let action: [Float] = switch controller {
                    case .policy(let runner): try runner.action(for: observation)
                    case .expert: env.expertAction()
                    case .random: zip(env.spec.actionLow, env.spec.actionHigh).map { $0 + random.nextFloat() * ($1 - $0) }
                    }
                    let transition = env.step(action)
                    observation = transition.observation
                    actions += 1
                    if filmstrip != nil && results.isEmpty { frames.append(observation.image) }
                    if transition.done { success = transition.success; break }
                }
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if results.isEmpty { try filmstrip?(frames) }
                results.append(Episode(seed: episodeSeed, variant: env.variant, instruction: observation.instruction,
                                       success: success, length: env.steps))
            }
            progress?(i + 1, episodes)
        }
        let successes = results.filter(\.success).count
        var both: Double?
        if contrast {
            both = Double(stride(from: 0, to: results.count, by: 2).filter { results[$0].success && results[$0 + 1].success }.count)
                / Double(episodes)
        }
        return Report(task: task, controller: name, episodes: results, successRate: Double(successes) / Double(results.count),
                      interval: Self.wilson(successes, results.count),
                      meanLength: Double(results.map(\.length).reduce(0, +)) / Double(results.count),
                      actionsPerSecond: Double(actions) / max(seconds, 1e-9), bothInstructionsRate: both)
    }

    /// The 95% Wilson score interval for k successes in n trials (Wilson 1927).
    public static func wilson(_ k: Int, _ n: Int) -> [Double] {
        let z = 1.959964, p = Double(k) / Double(n), nn = Double(n)
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z / (1 + z * z / nn) * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()
        return [max(0, centre - half), min(1, centre + half)]
    }

    /// Up to `count` frames spread evenly over an episode (first and last included), side by side, as a PNG.
    public static func writeFilmstrip(_ frames: [RGBImage], to path: String, count: Int = 12) throws {
        let picks = frames.count <= count ? Array(frames.indices)
            : (0..<count).map { $0 * (frames.count - 1) / (count - 1) }
        let size = frames[0].width
        let images = DemoLoader.images(picks.map { frames[$0].pixels[...] }, size: size, mean: [0, 0, 0], std: [1, 1, 1])
        try PNGWriter.writeGrid(images, to: path, columns: picks.count, padding: 2, padValue: 1)
    }
}
