import ArgumentParser
import Foundation
import Plinth

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate images from prompts or sounds with a model's denoiser.",
        discussion: """
            Samples --n images for each condition and writes them as one PNG grid, a row per \
            condition. A condition is a --prompt, or an --audio or --image file, embedded by the \
            model into its joint space; with none, samples are unconditional. Guidance is \
            classifier-free: 0 ignores the condition, 1 is the conditional model alone, larger \
            values follow it more closely. DDIM with eta 0 is deterministic for a seed.
            """)

    @Option(help: "A text prompt (repeat for several).") var prompt: [String] = []
    @Option(help: "A sound or spoken clip to condition on (repeat for several).") var audio: [String] = []
    @Option(help: "An image to condition on (repeat for several).") var image: [String] = []
    @Option(help: "Images per condition.") var n: Int = 16
    @Option(help: "Sampler: ddpm (ancestral) or ddim.") var sampler: SamplerKind = .ddpm
    @Option(help: "Sampling steps.") var steps: Int = 50
    @Option(help: "DDIM's eta (0: deterministic).") var eta: Double = 0
    @Option(help: "Classifier-free guidance scale.") var guidance: Float = SamplingOptions.defaultGuidance
    @Option(help: "Seed of the starting noise.") var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: "Output PNG grid.") var output: String = "grid.png"
    @Option(help: "Model file with a denoiser (default: the shipped generator).") var model: String?
    @Option(help: "Learned token vectors from `plinth personalize` (learned_embeds.safetensors).") var embeds: String?

    func validate() throws {
        guard n > 0 && n <= 1024 else { throw ValidationError("--n must be in 1...1024, got \(n)") }
    }

    func run() throws {
        var generator = try ImageGenerator(modelFile: model.map { URL(fileURLWithPath: $0) } ?? Assets.defaultGenerator)
        if let embeds { generator = try generator.installing(LearnedEmbeddings.load(URL(fileURLWithPath: embeds))) }
        var conditions: [Tensor] = []
        if !prompt.isEmpty { conditions.append(try generator.conditions(prompts: prompt)) }
        for (files, field) in [(audio, Field.audio), (image, .image)] where !files.isEmpty {
            conditions.append(try generator.conditions(records: files.map { MediaFiles.record($0, as: field) }, field: field))
        }
        let rows = conditions.isEmpty ? nil : Tensor.concat(conditions)                       // [K, E]
        let k = rows?.shape[0] ?? 1
        // Row-major grid: condition i's samples fill row i.
        let order = (0..<k * n).map { ($0 % n) * k + $0 / n }
        let options = SamplingOptions(sampler: sampler, steps: steps, eta: eta, guidance: guidance, seed: seed)
        let progress = ProgressBar(total: generator.evaluations(count: k * n, options: options), label: "step", unit: "images")
        let images = try generator.generate(conditions: rows, count: k * n, options: options) { progress.update(step: $0) }
        progress.finish()
        try PNGWriter.writeGrid(ImageGenerator.displayable(images.indexSelect(dim: 0, indices: order)), to: output,
                                columns: n)
        print("\(k * n) images (\(k) condition\(k == 1 ? "" : "s") x \(n)) -> \(output)")
    }
}

extension SamplerKind: ExpressibleByArgument {}
