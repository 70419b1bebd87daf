import Foundation
import Plinth

/// Plinth's side of benchmarks/diffusion/run.sh, the counterpart of benchmarks/diffusion/peer.py:
///
///   plinth-bench dit [--batch 128] [--image 32] [--channels 1] [--patch 4] [--width 128] [--layers 6]
///                    [--heads 4] [--condition 128] [--iters 10] [--warmup 3]
///
/// One training step of a DiT denoiser (`Denoiser`) as the diffusion recipes take it: the
/// denoising loss (`diffusionLoss`: random timesteps and noise, 10% condition dropout) on
/// random images in [-1, 1] with random conditions, backward, and an AdamW step. Prints one
/// `JSON {...}` line with the median, min and max step time in ms and images/s.
func benchmarkDiT(_ args: ArraySlice<String>) {
    func value(_ name: String, _ fallback: Int) -> Int {
        guard let i = args.firstIndex(of: name), i + 1 < args.endIndex, let v = Int(args[i + 1]) else { return fallback }
        return v
    }
    let batch = value("--batch", 128), iters = value("--iters", 10), warmup = value("--warmup", 3)
    let config = DenoiserConfig(imageSize: value("--image", 32), channels: value("--channels", 1), patchSize: value("--patch", 4),
                                width: value("--width", 128), layers: value("--layers", 6), heads: value("--heads", 4))
    let generator = RandomGenerator(seed: 0)
    let denoiser = Denoiser(config, conditionWidth: value("--condition", 128), generator: generator)
    let optimizer = AdamW(denoiser.parameterGroups(weightDecay: 0.05), learningRate: 5e-4)
    let schedule = config.noiseSchedule
    let x0 = Tensor.rand([batch, config.channels, config.imageSize, config.imageSize], low: -1, high: 1, generator: generator)
    let condition = Tensor.randn([batch, denoiser.conditionWidth], generator: generator)
    var times: [Double] = []
    for i in 0..<warmup + iters {
        let t0 = now()
        optimizer.zeroGrad()
        diffusionLoss(denoiser, schedule: schedule, images: x0, condition: condition, conditionDropout: 0.1,
                      generator: generator).backward()
        optimizer.step()
        if i >= warmup { times.append(now() - t0) }
    }
    times.sort()
    emit(["name": "dit", "threads": Threads.count, "batch": batch, "parameters": denoiser.parameterCount,
          "median_ms": median(times) * 1e3, "min_ms": times.first! * 1e3, "max_ms": times.last! * 1e3,
          "images_per_s": Double(batch) / median(times)])
}
