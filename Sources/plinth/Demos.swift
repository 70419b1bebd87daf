import ArgumentParser
import Foundation
import Plinth

struct Demos: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record scripted-expert demonstrations of a control task for behaviour cloning.",
        discussion: """
            Writes a folder with frames.idx (IDX bytes [S, H, W, 3], the image before each step), \
            steps.safetensors (state [S, P], the expert's action [S, A], episode [S]) and \
            episodes.jsonl (seed, instruction, variant, start row, length, success per episode). \
            With --noise the executed action is the expert's plus Gaussian noise while the recorded \
            label stays the expert's (DART), so the data shows recoveries. Tasks: \(ControlTasks.names.joined(separator: ", ")). \
            The default folder is the one a recipe's `policy` section with the same settings reads.
            """)

    @Option(help: "Task: \(ControlTasks.names.joined(separator: ", ")).") var task: String
    @Option(help: "Episodes to record.") var episodes = 300
    @Option(help: "Seed of the episodes' layouts and instructions.") var seed: UInt64 = 0
    @Option(help: "Std of the Gaussian noise added to executed actions (task units).") var noise: Float = 0.3
    @Flag(help: "Record each layout under every instruction variant in turn (episodes counts them all).") var everyVariant = false
    @Option(help: "Camera image side in pixels (the policy model's image size).") var imageSize = 64
    @Option(help: "Output folder (default: $PLINTH_DATA/demos/<task>-<episodes>ep-seed<S>-noise<σ>-<size>px[-every]).") var out: String?

    func run() throws {
        let folder = out.map { URL(fileURLWithPath: $0) } ?? PolicySection.defaultFolder(
            task: task, episodes: episodes, seed: seed, noise: noise, everyVariant: everyVariant, imageSize: imageSize,
            dataDirectory: Datasets.defaultDirectory)
        let bar = ProgressBar(total: episodes, label: "episode", unit: "episodes")
        let demos = try DemoRecorder(task: task, imageSize: imageSize, episodes: episodes, seed: seed, noise: noise,
                                       everyVariant: everyVariant)
            .record { done, _ in bar.update(step: done, items: 1) }
        bar.finish()
        try demos.save(to: folder)
        let succeeded = demos.episodes.filter(\.success).count
        print("\(demos.episodes.count) episodes, \(demos.stepCount) steps (mean length \(String(format: "%.1f", Double(demos.stepCount) / Double(demos.episodes.count))))")
        print("expert success with noise \(noise): \(succeeded)/\(demos.episodes.count) (the noise-free expert: plinth act --policy expert --task \(task))")
        print("wrote \(folder.path)")
    }
}
