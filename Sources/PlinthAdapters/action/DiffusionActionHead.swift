import PlinthNN
import PlinthObjectives

// Legend: B batch, D readout width, K horizon, A action width, F hidden width, C = 32 time features.

/// Octo's diffusion action head (Team et al. 2024; Chi et al. 2023): a chunk
/// of K normalized actions is denoised from Gaussian noise in S DDPM steps
/// (cosine schedule, ε-prediction, samples clipped to [-1, 1]) by an
/// MLP-ResNet that sees the noisy chunk, the readout and the step.
///
/// Network: x = [readout, time MLP(sinusoidal t), noisy chunk] -> Linear(F),
/// then `blocks` residual blocks x + Linear(SiLU(Linear(LN(x)))) (4F inside),
/// SiLU, Linear(K·A). Training draws t uniformly per row; the loss is the MSE
/// between predicted and drawn noise over the steps the mask keeps.
///
/// Keys: `time.0.*`, `time.1.*` (C -> 2C -> C), `input.*`, `blocks.N.{ln,fc1,fc2}.*`, `output.*`.
public final class DiffusionActionHead: ActionHead {
    public let time: [Linear]
    public let input: Linear
    public let blocks: [ResidualMLPBlock]
    public let output: Linear
    public let schedule: NoiseSchedule
    public let (horizon, actionDimension): (Int, Int)
    public var isTraining = true
    static let timeFeatures = 32

    public init(width d: Int, hidden f: Int, blocks n: Int, steps: Int, horizon k: Int, actionDimension a: Int,
                generator: RandomGenerator = .default) {
        (horizon, actionDimension) = (k, a)
        let c = Self.timeFeatures
        time = [Linear(c, 2 * c, generator: generator), Linear(2 * c, c, generator: generator)]
        input = Linear(d + c + k * a, f, generator: generator)
        blocks = (0..<n).map { _ in ResidualMLPBlock(width: f, generator: generator) }
        output = Linear(f, k * a, generator: generator)
        schedule = NoiseSchedule(kind: .cosine, steps: steps)
    }

    public var items: [(String, ModuleItem)] {
        [("time", .modules(time)), ("input", .module(input)), ("blocks", .modules(blocks)), ("output", .module(output))]
    }

    /// noisy [B, K·A], readout [B, D], timesteps [B] -> predicted noise [B, K·A].
    func denoise(_ noisy: Tensor, readout: Tensor, timesteps: [Int]) -> Tensor {
        let t = time[1](time[0](timestepEmbedding(timesteps.map(Float.init), dim: Self.timeFeatures)).silu())   // [B, C]
        var x = input(Tensor.concat([readout, t, noisy], dim: 1))                                               // [B, F]
        for block in blocks { x = block(x) }
        return output(x.silu())
    }

    public func loss(_ readout: Tensor, actions: Tensor, mask: Tensor, generator: RandomGenerator) -> Tensor {
        let b = readout.shape[0]
        let x0 = actions.reshape([b, horizon * actionDimension])
        let noise = Tensor.randn(x0.shape, generator: generator)
        let timesteps = (0..<b).map { _ in generator.nextInt(below: schedule.steps) }
        let predicted = denoise(schedule.addNoise(x0, noise: noise, timesteps: timesteps), readout: readout, timesteps: timesteps)
        return maskedMean((predicted - noise).square().reshape([b, horizon, actionDimension]), mask: mask)
    }

    public func predict(_ readout: Tensor, generator: RandomGenerator) -> Tensor {
        let b = readout.shape[0]
        let sampler = DDPMSampler(schedule: schedule, inferenceSteps: schedule.steps)
        var x = Tensor.randn([b, horizon * actionDimension], generator: generator)
        for (index, t) in sampler.timesteps.enumerated() {
            let noise = index + 1 < sampler.timesteps.count ? Tensor.randn(x.shape, generator: generator) : nil
            x = sampler.step(denoise(x, readout: readout, timesteps: Array(repeating: t, count: b)), index: index, sample: x, noise: noise)
        }
        return x.reshape([b, horizon, actionDimension])
    }
}

/// Octo's MLPResNetBlock without dropout: x + fc2(SiLU(fc1(LN(x)))), 4x wide inside. Keys: `ln.*`, `fc1.*`, `fc2.*`.
public final class ResidualMLPBlock: Module {
    public let ln: LayerNorm
    public let fc1: Linear
    public let fc2: Linear
    public var isTraining = true

    public init(width f: Int, generator: RandomGenerator = .default) {
        ln = LayerNorm(f)
        fc1 = Linear(f, 4 * f, generator: generator)
        fc2 = Linear(4 * f, f, generator: generator)
    }

    public var items: [(String, ModuleItem)] { [("ln", .module(ln)), ("fc1", .module(fc1)), ("fc2", .module(fc2))] }

    public func callAsFunction(_ x: Tensor) -> Tensor { x + fc2(fc1(ln(x)).silu()) }
}
