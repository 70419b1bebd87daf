import PlinthNN

// Legend: B batch, E joint width, N input tokens, C condition width, K prefix length, D decoder width.

/// Maps what the multimodal model says about an input to K prefix tokens of
/// the caption decoder: [B, E] (embedding input) or [B, N, C] (token input) -> [B, K, D].
public protocol PrefixMapper: Module {
    func callAsFunction(_ condition: Tensor) -> Tensor
}

/// ClipCap's MLP mapper: `fc1` (E -> H), tanh, `fc2` (H -> K x D). [B, E] -> [B, K, D].
public final class MLPPrefixMapper: PrefixMapper {
    public let fc1: Linear
    public let fc2: Linear
    public let prefixLength: Int
    public let width: Int
    public var isTraining = true

    public init(conditionWidth e: Int, prefixLength k: Int, width d: Int, hidden: Int?, generator: RandomGenerator = .default) {
        let h = hidden ?? (e + k * d) / 2
        fc1 = Linear(e, h, generator: generator)
        fc2 = Linear(h, k * d, generator: generator)
        (prefixLength, width) = (k, d)
    }

    public var items: [(String, ModuleItem)] { [("fc1", .module(fc1)), ("fc2", .module(fc2))] }

    public func callAsFunction(_ condition: Tensor) -> Tensor {
        fc2(fc1(condition).tanh()).reshape([condition.shape[0], prefixLength, width])
    }
}

/// ClipCap's transformer mapper: `linear` lifts the input to decoder width
/// (an embedding [B, E] to K tokens [B, K, D]; tokens [B, N, C], after `ln_in`,
/// to [B, N, D]); the K learned `prefix_const` rows [K, D] are appended, and
/// after the non-causal `transformer` blocks their outputs are the prefix.
public final class TransformerPrefixMapper: PrefixMapper {
    public let input: CaptionConfig.Input
    public let lnIn: LayerNorm?
    public let linear: Linear
    public let prefixConst: Tensor          // [K, D]
    public let transformer: Transformer
    public var isTraining = true

    public init(_ config: CaptionConfig, conditionWidth c: Int, generator: RandomGenerator = .default) {
        let (k, d) = (config.prefixLength, config.width)
        input = config.input
        lnIn = config.input == .tokens ? LayerNorm(c) : nil
        linear = Linear(c, config.input == .embedding ? k * d : d, generator: generator)
        prefixConst = .randn([k, d], generator: generator, requiresGrad: true)
        transformer = Transformer(width: d, layers: config.mapperLayers, heads: config.heads, mlpRatio: config.mlpRatio,
                                  activation: config.activation, generator: generator)
    }

    public var items: [(String, ModuleItem)] {
        var out: [(String, ModuleItem)] = [("linear", .module(linear)), ("prefix_const", .parameter(prefixConst)),
                                           ("transformer", .module(transformer))]
        if let lnIn { out.append(("ln_in", .module(lnIn))) }
        return out
    }

    public func callAsFunction(_ condition: Tensor) -> Tensor {
        let (b, k, d) = (condition.shape[0], prefixConst.shape[0], prefixConst.shape[1])
        let lifted = input == .embedding
            ? linear(condition).reshape([b, k, d])                                     // [B, K, D]
            : linear(lnIn!(condition))                                                  // [B, N, D]
        let x = Tensor.concat([lifted, prefixConst.reshape([1, k, d]).expand([b, k, d])], dim: 1)
        let n = x.shape[1]
        return transformer(x).narrow(1, n - k, k)                                       // [B, K, D]
    }
}
