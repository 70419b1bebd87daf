import Foundation
import PlinthTensor

/// Records scripted-expert episodes of a task (`plinth demos`).
///
/// Episode i starts from seed `Seeds.mix(seed, i)` with a drawn instruction in
/// the training phrasing. With `noise` σ > 0 the executed action is the
/// expert's plus Gaussian noise N(0, σ²) (clipped by the task), while the
/// recorded label stays the expert's clean action (DART, Laskey et al. 2017):
/// the demonstrations then show how to recover from small mistakes, which a
/// cloned policy will make. The expert's own success rate is measured without noise
/// by `PolicyEvaluation`; here `success` records the noisy episode's outcome.
///
/// With `everyVariant`, each layout is recorded under every instruction variant
/// in turn: episode i starts from seed `Seeds.mix(seed, i / n)` with variant
/// i % n, for the task's n variants. The same image then leads to n different
/// action sequences, so a cloned policy cannot act from the image alone.
public struct DemoRecorder: Sendable {
    public var task: String
    public var imageSize: Int
    public var episodes: Int
    public var seed: UInt64
    public var noise: Float
    public var everyVariant: Bool

    public init(task: String, imageSize: Int, episodes: Int, seed: UInt64, noise: Float, everyVariant: Bool = false) {
        (self.task, self.imageSize, self.episodes, self.seed, self.noise) = (task, imageSize, episodes, seed, noise)
        self.everyVariant = everyVariant
    }

    /// The seed of demonstration episode `i`.
    public static func episodeSeed(_ seed: UInt64, _ i: Int) -> UInt64 { Seeds.mix(seed, UInt64(i)) }

    /// Runs the episodes; `progress(done, total)` after each.
    public func record(progress: ((Int, Int) -> Void)? = nil) throws -> Demonstrations {
        guard episodes >= 1, episodes <= 1_000_000 else {
            throw DataError(.invalidArgument, source: "plinth demos", field: "episodes", "must be in 1...1000000, got \(episodes)")
        }
        guard (8...256).contains(imageSize) else {
            throw DataError(.invalidArgument, source: "plinth demos", field: "image_size", "must be in 8...256, got \(imageSize)")
        }
        let env = try ControlTasks.make(task, imageSize: imageSize)
        var demos = Demonstrations(task: task, imageSize: imageSize, stateDimension: env.spec.stateDimension,
                                   actionDimension: env.spec.actionDimension)
        let n = env.variantCount
        for i in 0..<episodes {
            let seed = Self.episodeSeed(self.seed, everyVariant ? i / n : i)
            let jitter = RandomGenerator(seed: Seeds.mix(Self.episodeSeed(self.seed, i), 0x6E6F_6973_65))
            var observation = env.reset(seed: seed, variant: everyVariant ? i % n : nil, phrasing: .training)
            let start = demos.stepCount
            var success = false
            while true {
                let label = env.expertAction()
                demos.frames += observation.image.pixels
                demos.states += observation.state
                demos.actions += label
                let executed = noise > 0 ? zip(label, jitter.normals(label.count)).map { $0 + noise * $1 } : label
                let transition = env.step(executed)
                observation = transition.observation
                if transition.done { success = transition.success; break }
            }
            demos.episodes.append(.init(episode: i, seed: seed, instruction: observation.instruction, variant: env.variant,
                                        start: start, length: demos.stepCount - start, success: success))
            progress?(i + 1, episodes)
        }
        return demos
    }
}

extension RandomGenerator {
    /// `count` standard normal draws (Box-Muller).
    func normals(_ count: Int) -> [Float] {
        (0..<count).map { _ in
            let u = max(nextFloat(), 1e-7), v = nextFloat()
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * .pi * v)
        }
    }
}
