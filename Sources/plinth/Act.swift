import ArgumentParser
import Foundation
import Plinth

struct Act: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a policy in closed loop on a control task and report its success rate.",
        discussion: """
            --policy is a model file trained by a recipe with a `policy` section, or `expert` (the \
            task's scripted expert) or `random` (uniform actions), the two baselines. Episode i uses \
            layout seed mix(--seed, i); the demonstrations used --seed 0 by default, so another seed \
            gives unseen layouts and instruction draws. --phrasing held_out uses instruction templates \
            no demonstration used. --contrast runs every layout under two different instructions. \
            Prints the success rate with a 95% Wilson interval, the mean episode length and actions \
            per second (policy and simulation together).
            """)

    @Option(help: "A policy model file, `expert` or `random`.") var policy: String
    @Option(help: "Task (default: the one the policy was trained on).") var task: String?
    @Option(help: "Episodes (layouts).") var episodes = 100
    @Option(help: "Seed of the layouts and instructions.") var seed: UInt64 = 1000
    @Option(help: "Instruction templates: training or held_out.") var phrasing: String = "training"
    @Flag(help: "Run each layout under its first two instructions.") var contrast = false
    @Option(help: "Camera image side for expert and random (a policy uses its model's).") var imageSize = 64
    @Option(help: "Write a filmstrip PNG of the first episode here.") var video: String?
    @Option(help: "Write the report (every episode's outcome) as JSON here.") var json: String?

    func run() throws {
        guard let phrasing = Phrasing(rawValue: phrasing) else {
            throw ValidationError("--phrasing must be one of \(Phrasing.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let controller: Controller
        var size = imageSize, taskName = task
        switch policy {
        case "expert": controller = .expert
        case "random": controller = .random
        default:
            let runner = try PolicyRunner(contentsOf: URL(fileURLWithPath: policy), seed: seed)
            controller = .policy(runner)
            size = runner.imageSize
            taskName = taskName ?? runner.policy.config.task
        }
        guard let taskName else { throw ValidationError("--task is needed with --policy \(policy)") }
        let evaluation = PolicyEvaluation(task: taskName, episodes: episodes, seed: seed, phrasing: phrasing, contrast: contrast)
        let bar = ProgressBar(total: episodes, label: "episode", unit: "episodes")
        let report = try evaluation.run(controller, name: policy, imageSize: size, progress: { done, _ in bar.update(step: done, items: 1) },
                                        filmstrip: video.map { path in { try PolicyEvaluation.writeFilmstrip($0, to: path) } })
        bar.finish()
        let successes = report.episodes.filter(\.success).count
        print("\(policy) on \(taskName) (\(phrasing.rawValue) phrasing\(contrast ? ", two instructions per layout" : "")):")
        print(String(format: "  success %d/%d = %.1f%% (95%% CI %.1f-%.1f%%)", successes, report.episodes.count,
                     100 * report.successRate, 100 * report.interval[0], 100 * report.interval[1]))
        if let both = report.bothInstructionsRate { print(String(format: "  both instructions succeeded on %.1f%% of layouts", 100 * both)) }
        print(String(format: "  mean episode length %.1f steps, %.0f actions/s", report.meanLength, report.actionsPerSecond))
        if let video { print("  filmstrip of episode 1 (\(report.episodes[0].instruction)): \(video)") }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json), options: .atomic)
            print("  report: \(json)")
        }
    }
}
