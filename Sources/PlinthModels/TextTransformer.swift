import PlinthNN

// Legend: B batch, T tokens (context length), D width, E joint width, V vocabulary.

/// A causal text transformer tower with open_clip's keys: `token_embedding`,
/// `positional_embedding` [T, D], `transformer` (the modality-specific
/// blocks), `ln_final` and `text_projection` [D, E]. In a `MultimodalModel`
/// these keys sit at the top level, as in open_clip's `CLIP`.
///
/// Pooling takes each row's first end-of-text token, the last id of the
/// vocabulary it was built with (CLIP's tokenizers put `<end_of_text>` last;
/// tokens appended later for textual inversion come after it).
/// Initialization follows open_clip's `CLIP.init_parameters`. Radford et al. 2021.
public final class TextTransformer: Module {
    public private(set) var config: TextConfig
    public private(set) var tokenEmbedding: Embedding     // [V, D]
    /// The `<end_of_text>` id pooling looks for.
    public let endOfText: Int
    public let positionalEmbedding: Tensor   // [T, D]
    public let transformer: Transformer
    public let lnFinal: LayerNorm
    public let textProjection: Tensor        // [D, E]
    public var isTraining = true

    /// `totalLayers` (specific + shared blocks) scales the residual projections' init.
    public init(_ config: TextConfig, embedDim: Int, totalLayers: Int? = nil, generator: RandomGenerator = .default) {
        let d = config.width
        self.config = config
        endOfText = config.vocabSize - 1
        tokenEmbedding = Embedding(config.vocabSize, d, generator: generator)
        Init.normal(tokenEmbedding.weight, std: 0.02, generator: generator)
        positionalEmbedding = .randn([config.contextLength, d], std: 0.01, generator: generator, requiresGrad: true)
        transformer = Transformer(width: d, layers: config.layers, heads: config.heads, mlpRatio: config.mlpRatio,
                                  activation: config.activation, generator: generator)
        TextTransformer.initialize(transformer, width: d, totalLayers: totalLayers ?? config.layers, generator: generator)
        lnFinal = LayerNorm(d)
        textProjection = .randn([d, embedDim], std: 1 / Float(d).squareRoot(), generator: generator, requiresGrad: true)
    }

    /// open_clip's block init: attention and MLP input weights N(0, D^-1/2) and N(0, (2D)^-1/2),
    /// output projections N(0, D^-1/2 (2L)^-1/2).
    static func initialize(_ transformer: Transformer, width d: Int, totalLayers: Int, generator: RandomGenerator) {
        let attnStd = 1 / Float(d).squareRoot()
        let projStd = attnStd / Float(2 * Swift.max(totalLayers, 1)).squareRoot()
        for block in transformer.resblocks {
            Init.normal(block.attn.inProjWeight, std: attnStd, generator: generator)
            Init.normal(block.attn.outProj.weight, std: projStd, generator: generator)
            Init.normal(block.mlp.cFc.weight, std: 1 / Float(2 * d).squareRoot(), generator: generator)
            Init.normal(block.mlp.cProj.weight, std: projStd, generator: generator)
        }
    }

    public var items: [(String, ModuleItem)] {
        [("positional_embedding", .parameter(positionalEmbedding)), ("text_projection", .parameter(textProjection)),
         ("token_embedding", .module(tokenEmbedding)), ("transformer", .module(transformer)), ("ln_final", .module(lnFinal))]
    }

    /// ids [B*T] row-major with T = context_length -> tokens [B, T, D] after the specific (causal) blocks.
    public func tokens(_ ids: [Int], batch: Int) -> Tensor {
        let t = config.contextLength
        precondition(ids.count == batch * t, "TextTransformer: \(ids.count) ids for batch \(batch) x context \(t)")
        let x = tokenEmbedding(ids, shape: [batch, t]) + positionalEmbedding             // [B, T, D]
        return transformer(x, causal: true)
    }

    /// Appends rows [K, D] to the token embedding as new ids V..<V+K (textual
    /// inversion); the table keeps its `requiresGrad`. Returns the new ids.
    @discardableResult
    public func appendTokens(_ rows: Tensor) -> Range<Int> {
        let old = tokenEmbedding.weight
        precondition(rows.rank == 2 && rows.shape[1] == old.shape[1], "TextTransformer: rows \(rows.shape) for a table \(old.shape)")
        let weight = withNoGrad { Tensor.concat([old, rows]) }                            // [V+K, D]
        weight.requiresGrad = old.requiresGrad
        tokenEmbedding = Embedding(weight: weight)
        config.vocabSize += rows.shape[0]
        return old.shape[0]..<config.vocabSize
    }

    /// tokens [B, T, D] and the ids that made them -> embeddings [B, E] at each row's end-of-text token.
    public func pool(_ tokens: Tensor, ids: [Int]) -> Tensor {
        let (b, t, d) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        let eot = (0..<b).map { row in
            (row * t..<(row + 1) * t).first { ids[$0] == endOfText } ?? (row + 1) * t - 1
        }
        let pooled = tokens.reshape([b * t, d]).indexSelect(dim: 0, indices: eot)       // [B, D]
        return Tensor.matmul(lnFinal(pooled), textProjection)                            // [B, E]
    }
}
