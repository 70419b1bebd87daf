import PlinthData
import PlinthModalities
import PlinthModels
import PlinthNN
import PlinthObjectives

// Legend: B batch, n rows with a condition field, C channels, S image side, E joint width.

extension Denoiser {
    /// The condition a denoiser reads for joint embeddings [B, E]: L2-normalized
    /// and scaled by √E, so its entries are of unit scale whatever the model's norm.
    public static func condition(embeddings: Tensor) -> Tensor {
        embeddings.l2Normalized() * Float(embeddings.shape[1]).squareRoot()
    }

    /// Preprocessed images [B, 3, S, S] (normalized with `preset`'s mean and std)
    /// -> the denoiser's pixels [B, C, S, S] in [-1, 1] (gray: the channel mean).
    public func pixels(_ images: Tensor, preset: ImagePreset) -> Tensor {
        let shape = [1, 3, 1, 1]
        let unit = images * Tensor(preset.std, shape: shape) + Tensor(preset.mean, shape: shape)      // [B, 3, S, S] in [0, 1]
        let rgb = unit * 2 - 1
        return config.channels == 1 ? rgb.mean(dim: 1, keepdim: true) : rgb
    }
}

/// The diffusion objective of one optimizer step: for each conditioning field,
/// the denoising loss on the batch rows that have it (its condition the model's
/// embedding of that field), averaged over the fields; with `mix_conditions`,
/// one loss on the rows each conditioned by its field i mod F; one unconditional
/// loss on the whole batch when no field is named. Backpropagated once per
/// micro-batch, scaled so the gradients sum to the whole batch's. Noise,
/// timesteps and condition dropout come from the run's generator, so a resumed
/// run draws what the uninterrupted one would have.
///
/// With `frozenModel` the multimodal model runs without a tape: only the denoiser learns.
struct DiffusionStep {
    let section: DiffusionSection
    let denoiser: Denoiser
    let ema: EMA
    let preset: ImagePreset
    let frozenModel: Bool
    let generator: RandomGenerator

    /// Runs forward and backward on every micro-batch; returns the batch's mean diffusion loss.
    func callAsFunction(_ model: MultimodalModel, _ microBatches: [Batch]) -> Float {
        let schedule = denoiser.config.noiseSchedule
        var total: Float = 0
        for batch in microBatches {
            guard let images = batch.image else { preconditionFailure("DiffusionStep: the loader gives no images") }
            let x0 = withNoGrad { denoiser.pixels(images, preset: preset) }                   // [B, C, S, S]
            func loss(_ x0: Tensor, _ condition: Tensor?) -> Tensor {
                diffusionLoss(denoiser, schedule: schedule, images: x0, condition: condition,
                              conditionDropout: section.conditionDropout, generator: generator)
            }
            var losses: [Tensor] = []
            var mixed: [(x0: Tensor, condition: Tensor)] = []
            let fields = section.conditions.count
            for (f, field) in section.conditions.enumerated() {
                let rows = batch.rows[field] ?? Array(0..<batch.count)                       // batch row of each of the field's rows
                let mine = section.mixConditions ? rows.indices.filter { rows[$0] % fields == f } : nil
                if mine?.isEmpty == true { continue }
                let embedding = frozenModel ? withNoGrad { model.embed(field, of: batch, rows: mine) }
                                            : model.embed(field, of: batch, rows: mine)
                guard let embedding else { continue }                                        // [n, E], or [mine, E]
                if let mine {
                    mixed.append((x0.indexSelect(dim: 0, indices: mine.map { rows[$0] }), Denoiser.condition(embeddings: embedding)))
                } else {
                    losses.append(loss(rows.count == batch.count ? x0 : x0.indexSelect(dim: 0, indices: rows),
                                       Denoiser.condition(embeddings: embedding)))
                }
            }
            if !mixed.isEmpty {
                losses.append(loss(Tensor.concat(mixed.map(\.x0)), Tensor.concat(mixed.map(\.condition))))
            }
            if section.conditions.isEmpty { losses.append(loss(x0, nil)) }
            guard let first = losses.first else { continue }
            let mean = losses.dropFirst().reduce(first, +) * (1 / Float(losses.count))
            (mean * (section.weight / Float(microBatches.count))).backward()
            total += mean.item() / Float(microBatches.count)
        }
        return total
    }
}
