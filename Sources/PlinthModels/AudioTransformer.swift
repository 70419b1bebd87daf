import PlinthNN

// Legend: B batch, F mel bins, N frames, Pf x Pt patch grid, P = Pf * Pt, T = P + 1 tokens, D width, E joint width.

/// An audio spectrogram transformer tower (ImageBind / AST patching): a
/// log-mel or fbank image [1, F, N] is cut into `patch_size` squares every
/// `patch_stride` bins and frames (overlapping), embedded by `conv1` (no
/// bias, unfold + matmul), given a class token and learned frequency and time
/// positions (`frequency_embedding` [Pf, D] + `time_embedding` [Pt, D]),
/// then `ln_pre`, the specific blocks, and after any shared blocks `ln_post`
/// on the class token and `proj` [D, E]. Keys mirror the vision tower's.
/// Gong et al. 2021 (AST); Girdhar et al. 2023 (ImageBind).
public final class AudioTransformer: Module {
    public let config: AudioConfig
    public let conv1: Tensor                 // [D, 1, p, p]
    public let classEmbedding: Tensor        // [D]
    public let frequencyEmbedding: Tensor    // [Pf, D]
    public let timeEmbedding: Tensor         // [Pt, D]
    public let lnPre: LayerNorm
    public let transformer: Transformer
    public let lnPost: LayerNorm
    public let proj: Tensor                  // [D, E]
    public var isTraining = true

    public init(_ config: AudioConfig, embedDim: Int, generator: RandomGenerator = .default) {
        let (d, p) = (config.width, config.patchSize)
        let scale = 1 / Float(d).squareRoot()
        self.config = config
        conv1 = .zeros([d, 1, p, p], requiresGrad: true)
        Init.kaimingUniform(conv1, a: Float(5).squareRoot(), generator: generator)
        classEmbedding = .randn([d], std: scale, generator: generator, requiresGrad: true)
        frequencyEmbedding = .randn([config.grid.frequency, d], std: scale, generator: generator, requiresGrad: true)
        timeEmbedding = .randn([config.grid.time, d], std: scale, generator: generator, requiresGrad: true)
        lnPre = LayerNorm(d)
        transformer = Transformer(width: d, layers: config.layers, heads: config.heads, mlpRatio: config.mlpRatio,
                                  activation: config.activation, generator: generator)
        lnPost = LayerNorm(d)
        proj = .randn([d, embedDim], std: scale, generator: generator, requiresGrad: true)
    }

    public var items: [(String, ModuleItem)] {
        [("class_embedding", .parameter(classEmbedding)), ("frequency_embedding", .parameter(frequencyEmbedding)),
         ("time_embedding", .parameter(timeEmbedding)), ("proj", .parameter(proj)), ("conv1.weight", .parameter(conv1)),
         ("ln_pre", .module(lnPre)), ("transformer", .module(transformer)), ("ln_post", .module(lnPost))]
    }

    /// features [B, 1, F, N] (F = mel_bins, N = frames) -> tokens [B, T, D] after the specific blocks.
    public func tokens(_ features: Tensor) -> Tensor {
        let (b, d, p, s) = (features.shape[0], config.width, config.patchSize, config.patchStride)
        precondition(features.rank == 4 && features.shape[1] == 1 && features.shape[2] == config.melBins
                     && features.shape[3] == config.frames,
                     "AudioTransformer: expected [B, 1, \(config.melBins), \(config.frames)], got \(features.shape)")
        let (pf, pt) = config.grid
        let patches = features.unfold(kernel: (p, p), stride: (s, s))                   // [B, P, pp]
        let x = Tensor.linear(patches, conv1.reshape([d, p * p]), nil)                  // [B, P, D]
        let positions = (frequencyEmbedding.reshape([pf, 1, d]) + timeEmbedding.reshape([1, pt, d]))
            .reshape([pf * pt, d])                                                       // [P, D]
        let cls = classEmbedding.reshape([1, 1, d]).expand([b, 1, d])                    // [B, 1, D]
        let h = Tensor.concat([cls, x + positions], dim: 1)                              // [B, T, D]
        return transformer(lnPre(h))
    }

    /// tokens [B, T, D] -> embeddings [B, E] from the class token.
    public func pool(_ tokens: Tensor) -> Tensor {
        let cls = tokens.narrow(1, 0, 1).reshape([tokens.shape[0], config.width])       // [B, D]
        return Tensor.matmul(lnPost(cls), proj)                                          // [B, E]
    }
}
