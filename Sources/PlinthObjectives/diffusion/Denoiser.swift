import PlinthNN

// Legend: B batch, C channels, S image side, p patch side, G = S / p, T = G * G patch tokens, D width, E condition width.

/// A DiT denoiser (Peebles & Xie 2023) over images in [-1, 1]: patches are
/// embedded linearly with DiT's fixed 2D sin-cos positions, run through
/// adaLN-zero blocks conditioned on c = t_embedder(t) + c_embedder(condition),
/// and projected back to a prediction of the noise (or of v) per pixel.
///
/// The condition is a vector of width E (a joint embedding from the
/// multimodal model, L2-normalized and scaled by √E by the caller). Rows
/// without one use the learned `c_embedder.null_condition` instead, which is
/// what classifier-free guidance samples against.
///
/// Keys as DiT's `models.py`: `x_embedder.proj.{weight,bias}` ([D, C, p, p] as
/// a conv), `t_embedder.mlp.{0,2}`,
/// `c_embedder.{proj,null_condition}` (DiT's `y_embedder` for a vector),
/// `blocks.N.*`, `final_layer.{linear,adaLN_modulation.1}`. DiT's fixed
/// `pos_embed` is recomputed rather than stored.
public final class Denoiser: Module {
    public let config: DenoiserConfig
    let patchWeight: Tensor          // [D, C, p, p]
    let patchBias: Tensor            // [D]
    let positions: Tensor            // [1, T, D]
    let timeIn: Linear
    let timeOut: Linear
    let conditionProjection: Linear
    /// The condition of unconditioned rows [E].
    public let nullCondition: Tensor
    let blocks: [DiTBlock]
    let finalNorm: LayerNorm
    let finalModulation: Linear
    let finalLinear: Linear
    public var isTraining = true

    static let frequencyDim = 256

    public init(_ config: DenoiserConfig, conditionWidth: Int, generator: RandomGenerator = .default) {
        let (d, c, p) = (config.width, config.channels, config.patchSize)
        self.config = config
        patchWeight = .zeros([d, c, p, p], requiresGrad: true)
        Init.xavierUniform(patchWeight.reshape([d, c * p * p]), generator: generator)
        patchBias = .zeros([d], requiresGrad: true)
        positions = sinCosPositionEmbedding2D(dim: d, gridSize: config.gridSize).reshape([1, config.patches, d])
        timeIn = Linear(Self.frequencyDim, d, generator: generator)
        timeOut = Linear(d, d, generator: generator)
        for layer in [timeIn, timeOut] {
            Init.normal(layer.weight, std: 0.02, generator: generator)
            layer.bias?.fill(0)
        }
        conditionProjection = Linear(conditionWidth, d, generator: generator)
        xavierInit(conditionProjection, generator: generator)
        nullCondition = .randn([conditionWidth], std: 0.02, generator: generator, requiresGrad: true)
        blocks = (0..<config.layers).map { _ in DiTBlock(d, heads: config.heads, mlpRatio: config.mlpRatio, generator: generator) }
        finalNorm = LayerNorm(d, eps: 1e-6, affine: false)
        finalModulation = Linear(d, 2 * d, generator: generator)
        finalLinear = Linear(d, p * p * c, generator: generator)
        zeroInit(finalModulation)
        zeroInit(finalLinear)
    }

    public var items: [(String, ModuleItem)] {
        [("x_embedder.proj.weight", .parameter(patchWeight)), ("x_embedder.proj.bias", .parameter(patchBias)),
         ("t_embedder.mlp.0", .module(timeIn)), ("t_embedder.mlp.2", .module(timeOut)),
         ("c_embedder.proj", .module(conditionProjection)), ("c_embedder.null_condition", .parameter(nullCondition)),
         ("blocks", .modules(blocks)), ("final_layer.linear", .module(finalLinear)),
         ("final_layer.adaLN_modulation.1", .module(finalModulation))]
    }

    /// The condition width E.
    public var conditionWidth: Int { nullCondition.count }

    /// x [B, C, S, S] at `timesteps` (one per row) -> the prediction [B, C, S, S].
    /// `condition` [B, E] (nil: every row unconditioned); `keep` [B] (1 keeps a
    /// row's condition, 0 swaps in the null condition; nil keeps all).
    public func callAsFunction(_ x: Tensor, timesteps: [Int], condition: Tensor?, keep: [Float]? = nil) -> Tensor {
        let (b, c, s, p, d, g) = (x.shape[0], config.channels, config.imageSize, config.patchSize, config.width, config.gridSize)
        precondition(x.shape == [b, c, s, s], "Denoiser: expected [B, \(c), \(s), \(s)], got \(x.shape)")
        precondition(timesteps.count == b, "Denoiser: \(timesteps.count) timesteps for a batch of \(b)")
        let null = nullCondition.reshape([1, conditionWidth]).expand([b, conditionWidth])          // [B, E]
        var cond = null
        if let condition {
            precondition(condition.shape == [b, conditionWidth],
                         "Denoiser: condition \(condition.shape), expected [\(b), \(conditionWidth)]")
            if let keep {
                let k = Tensor(keep, shape: [b, 1])                                                // [B, 1]
                cond = condition * k + null * (1 - k)
            } else {
                cond = condition
            }
        }
        let t = timeOut(timeIn(timestepEmbedding(timesteps.map(Float.init), dim: Self.frequencyDim)).silu())
        let vector = t + conditionProjection(cond)                                                 // [B, D]

        let patches = x.unfold(kernel: (p, p), stride: (p, p))                                    // [B, T, Cpp]
        var h = Tensor.linear(patches, patchWeight.reshape([d, c * p * p]), patchBias) + positions // [B, T, D]
        for block in blocks { h = block(h, vector) }
        let m = finalModulation(vector.silu()).chunk(2, dim: 1)                                   // 2 x [B, D]
        let out = finalLinear(modulate(finalNorm(h), shift: m[0], scale: m[1]))                   // [B, T, ppC]
        return Self.unpatchify(out, channels: c, patch: p, grid: g)
    }

    /// DiT's unpatchify: tokens [B, G*G, p*p*C] with features ordered (p, q, c) -> [B, C, G*p, G*p].
    static func unpatchify(_ x: Tensor, channels c: Int, patch p: Int, grid g: Int) -> Tensor {
        let b = x.shape[0]
        return x.reshape([b, g, g, p, p, c]).permute([0, 5, 1, 3, 2, 4]).contiguous()            // [B, C, G, p, G, p]
            .reshape([b, c, g * p, g * p])
    }
}
