import Foundation
import PlinthAdapters
import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN
import PlinthObjectives

// Legend: N images, C channels, S image side, E joint width.

/// Samples images with a model file's denoiser, conditioned on what the
/// multimodal model embeds (prompts, sounds, images), in eval mode and
/// without gradients. Classifier-free guidance runs the conditioned and the
/// null-conditioned rows as one batch.
public struct ImageGenerator {
    public private(set) var embedder: Embedder
    public let denoiser: Denoiser
    public let section: DiffusionSection
    /// Images sampled per denoiser batch (with guidance, twice as many rows run).
    public var batchSize = 64

    public init(embedder: Embedder, denoiser: Denoiser, section: DiffusionSection) {
        (self.embedder, self.denoiser, self.section) = (embedder, denoiser, section)
        denoiser.eval()
    }

    /// A model file with a denoiser, and the presets its card names.
    public init(modelFile url: URL) throws {
        let loaded = try ModelFile.loadWithHeads(url)
        guard let denoiser = loaded.diffusion, let section = loaded.card.diffusion else {
            throw GenerationError("model file '\(url.path)' has no denoiser (train one with a recipe's diffusion section)")
        }
        let inputs = try ModelInputs(card: loaded.card, directory: url.deletingLastPathComponent())
        self.init(embedder: Embedder(model: loaded.model, inputs: inputs, name: loaded.card.name), denoiser: denoiser,
                  section: section)
    }

    /// This generator with the tokens of `embeddings` (textual inversion) in its prompts.
    public func installing(_ embeddings: LearnedEmbeddings) throws -> ImageGenerator {
        var copy = self
        copy.embedder = try embedder.installing(embeddings)
        return copy
    }

    /// Prompts -> conditions [N, E].
    public func conditions(prompts: [String]) throws -> Tensor {
        Denoiser.condition(embeddings: try embedder.embed(texts: prompts))
    }

    /// One field of each record (a sound, a spoken caption, an image) -> conditions [N, E].
    public func conditions(records: [ManifestRecord], field: Field) throws -> Tensor {
        Denoiser.condition(embeddings: try embedder.embed(records: records, field: field))
    }

    /// Samples `count` images [N, C, S, S] in [-1, 1], row i conditioned on row
    /// i % K of `conditions` [K, E] (nil: unconditional). When the model's image
    /// preset pads (its crop `size` exceeds `resize`, as `padded` makes 32 of 28),
    /// the padding is cut off: S is the preset's `resize`, the images' own size.
    /// The starting noise of each batch comes from one generator seeded with `options.seed`.
    /// `progress` is called after each denoiser evaluation with the number done so far.
    public func generate(conditions: Tensor?, count: Int, options: SamplingOptions,
                         progress: ((Int) -> Void)? = nil) throws -> Tensor {
        let schedule = denoiser.config.noiseSchedule
        if let problem = options.problem(on: schedule) { throw GenerationError(problem) }
        let config = denoiser.config
        let sampler = options.makeSampler(schedule: schedule, prediction: config.prediction)
        let generator = RandomGenerator(seed: options.seed)
        let w = options.guidance
        var parts: [Tensor] = [], done = 0
        for start in stride(from: 0, to: count, by: batchSize) {
            let n = min(batchSize, count - start)
            let rows = conditions.map { c in c.indexSelect(dim: 0, indices: (start..<start + n).map { $0 % c.shape[0] }) }
            let shape = [n, config.channels, config.imageSize, config.imageSize]
            parts.append(withNoGrad {
                sampleDiffusion(sampler, shape: shape, generator: generator) { x, t in
                    defer { done += 1; progress?(done) }
                    guard let rows, w != 0 else { return denoiser(x, timesteps: .init(repeating: t, count: n), condition: nil) }
                    if w == 1 { return denoiser(x, timesteps: .init(repeating: t, count: n), condition: rows) }
                    let both = denoiser(Tensor.concat([x, x]), timesteps: .init(repeating: t, count: 2 * n),
                                        condition: Tensor.concat([rows, rows]),
                                        keep: [Float](repeating: 1, count: n) + [Float](repeating: 0, count: n))
                    let halves = both.chunk(2, dim: 0)
                    return classifierFreeGuidance(conditional: halves[0], unconditional: halves[1], scale: w)
                }
            })
        }
        let images = parts.count == 1 ? parts[0] : Tensor.concat(parts)                     // [N, C, S, S]
        guard let preset = embedder.inputs.imagePreset, preset.size > preset.resize, preset.size == config.imageSize else {
            return images
        }
        let border = (preset.size - preset.resize) / 2  // ImageTransform.centerCrop's offset when padding
        return images.narrow(2, border, preset.resize).narrow(3, border, preset.resize).contiguous()
    }

    /// Denoiser evaluations `generate` makes for `count` images.
    public func evaluations(count: Int, options: SamplingOptions) -> Int {
        options.steps * ((count + batchSize - 1) / batchSize)
    }

    /// Images [N, C, S, S] in [-1, 1] -> RGB [N, 3, S, S] in [0, 1], for PNG files.
    public static func displayable(_ images: Tensor) -> Tensor {
        let unit = ((images + 1) * 0.5).clamp(min: 0, max: 1)
        return images.shape[1] == 3 ? unit : unit.expand([images.shape[0], 3, images.shape[2], images.shape[3]]).contiguous()
    }

    /// Images [N, C, S, S] in [-1, 1] -> the input of a vision tower that reads `preset`
    /// ([N, 3, S', S'] normalized; resized and cropped as the preset does).
    public static func modelInput(_ images: Tensor, preset: ImagePreset) throws -> Tensor {
        let transform = try ImageTransform(preset: preset)
        let unit = displayable(images)
        let n = unit.shape[0]
        return Tensor.stack((0..<n).map { transform(ImageBuffer(tensor: unit.narrow(0, $0, 1).squeeze(0))) })
    }
}

/// A generation request that cannot run.
public struct GenerationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
