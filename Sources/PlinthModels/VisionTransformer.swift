import PlinthNN

// Legend: B batch, C channels, H W image size, P patch tokens, T = P + 1 tokens, D width, E joint width.

/// A Vision Transformer tower with open_clip's `visual.*` keys: `conv1`
/// (patch embedding, no bias, run as unfold + matmul), `class_embedding`,
/// `positional_embedding`, `ln_pre`, `transformer` (the modality-specific
/// blocks), `ln_post` and `proj` [D, E].
///
/// `tokens` runs the stem and the specific blocks; `pool` takes the class
/// token after any shared blocks. Dosovitskiy et al. 2021; Radford et al. 2021.
public final class VisionTransformer: Module {
    public let config: VisionConfig
    public let conv1: Tensor                 // [D, 3, p, p]
    public let classEmbedding: Tensor        // [D]
    public let positionalEmbedding: Tensor   // [T, D]
    public let lnPre: LayerNorm
    public let transformer: Transformer
    public let lnPost: LayerNorm
    public let proj: Tensor                  // [D, E]
    public var isTraining = true

    public init(_ config: VisionConfig, embedDim: Int, generator: RandomGenerator = .default) {
        let (d, p) = (config.width, config.patchSize)
        let scale = 1 / Float(d).squareRoot()
        self.config = config
        conv1 = .zeros([d, 3, p, p], requiresGrad: true)
        Init.kaimingUniform(conv1, a: Float(5).squareRoot(), generator: generator)  // nn.Conv2d's default
        classEmbedding = .randn([d], std: scale, generator: generator, requiresGrad: true)
        positionalEmbedding = .randn([config.patches + 1, d], std: scale, generator: generator, requiresGrad: true)
        lnPre = LayerNorm(d)
        transformer = Transformer(width: d, layers: config.layers, heads: config.heads, mlpRatio: config.mlpRatio,
                                  activation: config.activation, generator: generator)
        lnPost = LayerNorm(d)
        proj = .randn([d, embedDim], std: scale, generator: generator, requiresGrad: true)
    }

    public var items: [(String, ModuleItem)] {
        [("class_embedding", .parameter(classEmbedding)), ("positional_embedding", .parameter(positionalEmbedding)),
         ("proj", .parameter(proj)), ("conv1.weight", .parameter(conv1)), ("ln_pre", .module(lnPre)),
         ("transformer", .module(transformer)), ("ln_post", .module(lnPost))]
    }

    /// images [B, 3, H, W] (H = W = image_size) -> tokens [B, T, D] after the specific blocks.
    public func tokens(_ images: Tensor) -> Tensor {
        let (b, d, p) = (images.shape[0], config.width, config.patchSize)
        precondition(images.rank == 4 && images.shape[1] == 3 && images.shape[2] == config.imageSize
                     && images.shape[3] == config.imageSize,
                     "VisionTransformer: expected [B, 3, \(config.imageSize), \(config.imageSize)], got \(images.shape)")
        let patches = images.unfold(kernel: (p, p), stride: (p, p))                     // [B, P, 3pp]
        let x = Tensor.linear(patches, conv1.reshape([d, 3 * p * p]), nil)              // [B, P, D]
        let cls = classEmbedding.reshape([1, 1, d]).expand([b, 1, d])                    // [B, 1, D]
        let h = Tensor.concat([cls, x], dim: 1) + positionalEmbedding                    // [B, T, D]
        return transformer(lnPre(h))
    }

    /// tokens [B, T, D] -> embeddings [B, E] from the class token.
    public func pool(_ tokens: Tensor) -> Tensor {
        let cls = tokens.narrow(1, 0, 1).reshape([tokens.shape[0], config.width])       // [B, D]
        return Tensor.matmul(lnPost(cls), proj)                                          // [B, E]
    }
}
