// Legend: B batch, T query tokens, S key tokens, D width, H heads, E = D / H.

/// Multi-head attention with PyTorch's `nn.MultiheadAttention` keys and
/// layout (batch first): a fused input projection `in_proj_weight` [3D, D],
/// `in_proj_bias` [3D], and `out_proj` (Linear D -> D).
///
/// Masks are additive (0 keep, -inf drop) and broadcast to [B, H, T, S]:
/// a [T, S] causal mask or a [B, 1, 1, S] key padding mask both work.
///
/// `inProjLoRA` adapts the packed in-projection [3D, D] (rows q, k, v); it is
/// not one of `items`. `out_proj` takes an adapter through ``Linear/lora``.
public final class MultiheadAttention: Module {
    public let inProjWeight: Tensor
    public let inProjBias: Tensor
    public let outProj: Linear
    public let heads: Int
    public var isTraining = true
    /// A low-rank adapter for `in_proj_weight` [3D, D]; see ``LoRAAdapters``.
    public var inProjLoRA: LoRA? {
        didSet {
            guard let lora = inProjLoRA else { return }
            precondition([lora.outFeatures, lora.inFeatures] == inProjWeight.shape,
                         "MultiheadAttention: LoRA for [\(lora.outFeatures), \(lora.inFeatures)] on in_proj_weight \(inProjWeight.shape)")
        }
    }

    public init(_ dim: Int, heads: Int, generator: RandomGenerator = .default) {
        precondition(dim % heads == 0, "MultiheadAttention: width \(dim) is not divisible by \(heads) heads")
        inProjWeight = .zeros([3 * dim, dim], requiresGrad: true)
        Init.xavierUniform(inProjWeight, generator: generator)
        inProjBias = .zeros([3 * dim], requiresGrad: true)
        outProj = Linear(dim, dim, generator: generator)
        outProj.bias!.fill(0)
        self.heads = heads
    }

    public var items: [(String, ModuleItem)] {
        [("in_proj_weight", .parameter(inProjWeight)), ("in_proj_bias", .parameter(inProjBias)),
         ("out_proj", .module(outProj))]
    }

    /// Self-attention: x [B, T, D] -> [B, T, D].
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, causal: Bool = false) -> Tensor {
        var qkv = Tensor.linear(x, inProjWeight, inProjBias)                              // [B, T, 3D]
        if let lora = inProjLoRA { qkv = lora.adding(to: qkv, input: x) }
        return outProj(Tensor.selfAttention(packed: qkv, heads: heads, mask: mask, causal: causal))  // [B, T, D]
    }

    /// Cross-attention: query [B, T, D], key and value [B, S, D] -> [B, T, D].
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil) -> Tensor {
        let (b, t, d) = (query.shape[0], query.shape[1], query.shape[2])
        let e = d / heads
        func project(_ x: Tensor, _ i: Int) -> Tensor {
            var y = Tensor.linear(x, inProjWeight.narrow(0, i * d, d), inProjBias.narrow(0, i * d, d))  // [B, T|S, D]
            // The adapter's rows i*D..<(i+1)*D are the q, k or v part of its update.
            if let lora = inProjLoRA { y = lora.adding(to: y, input: x, outputs: i * d ..< (i + 1) * d) }
            return y.reshape([b, x.shape[1], heads, e]).transpose(1, 2)  // [B, H, T|S, E]
        }
        let o = Tensor.scaledDotProductAttention(project(query, 0), project(key, 1), project(value, 2), mask: mask)
        return outProj(o.transpose(1, 2).reshape([b, t, d]))                             // [B, T, D]
    }
}
