import PlinthNN

// Legend: B batch, T patch tokens, D width.

/// x (1 + scale) + shift, per row: x [B, T, D], shift and scale [B, D].
func modulate(_ x: Tensor, shift: Tensor, scale: Tensor) -> Tensor {
    x * (scale.unsqueeze(1) + 1) + shift.unsqueeze(1)
}

/// Self-attention with timm's keys (`qkv` D -> 3D with bias, `proj`), as DiT uses.
final class DiTAttention: Module {
    let qkv: Linear
    let proj: Linear
    let heads: Int
    var isTraining = true

    init(_ dim: Int, heads: Int, generator: RandomGenerator) {
        (qkv, proj, self.heads) = (Linear(dim, 3 * dim, generator: generator), Linear(dim, dim, generator: generator), heads)
    }

    var items: [(String, ModuleItem)] { [("qkv", .module(qkv)), ("proj", .module(proj))] }

    /// x [B, T, D] -> [B, T, D].
    func callAsFunction(_ x: Tensor) -> Tensor { proj(Tensor.selfAttention(packed: qkv(x), heads: heads)) }
}

/// A DiT block with adaLN-zero conditioning (Peebles & Xie 2023, DiT's `DiTBlock`):
/// from the conditioning vector c, `adaLN_modulation` (SiLU, Linear D -> 6D,
/// zero-initialized) gives shift, scale and gate for attention and the MLP;
/// x = x + gate_a * attn(modulate(norm1(x))); x = x + gate_m * mlp(modulate(norm2(x))).
/// The norms have no affine parameters. At initialization the gates are zero,
/// so each block is the identity.
///
/// Keys: `attn.qkv`, `attn.proj`, `mlp.fc1`, `mlp.fc2`, `adaLN_modulation.1`.
final class DiTBlock: Module {
    let norm1: LayerNorm
    let attn: DiTAttention
    let norm2: LayerNorm
    let fc1: Linear
    let fc2: Linear
    let adaLN: Linear
    var isTraining = true

    init(_ dim: Int, heads: Int, mlpRatio: Float, generator: RandomGenerator) {
        norm1 = LayerNorm(dim, eps: 1e-6, affine: false)
        attn = DiTAttention(dim, heads: heads, generator: generator)
        norm2 = LayerNorm(dim, eps: 1e-6, affine: false)
        fc1 = Linear(dim, Int(Float(dim) * mlpRatio), generator: generator)
        fc2 = Linear(Int(Float(dim) * mlpRatio), dim, generator: generator)
        adaLN = Linear(dim, 6 * dim, generator: generator)
        for layer in [attn.qkv, attn.proj, fc1, fc2] { xavierInit(layer, generator: generator) }
        zeroInit(adaLN)
    }

    var items: [(String, ModuleItem)] {
        [("attn", .module(attn)), ("mlp.fc1", .module(fc1)), ("mlp.fc2", .module(fc2)), ("adaLN_modulation.1", .module(adaLN))]
    }

    /// x [B, T, D], c [B, D] -> [B, T, D].
    func callAsFunction(_ x: Tensor, _ c: Tensor) -> Tensor {
        let m = adaLN(c.silu()).chunk(6, dim: 1)                                          // 6 x [B, D]
        let h = x + m[2].unsqueeze(1) * attn(modulate(norm1(x), shift: m[0], scale: m[1]))
        let mlp = fc2(fc1(modulate(norm2(h), shift: m[3], scale: m[4])).gelu(approximateTanh: true))
        return h + m[5].unsqueeze(1) * mlp
    }
}

/// DiT's `_basic_init`: Xavier-uniform weights, zero bias.
func xavierInit(_ layer: Linear, generator: RandomGenerator) {
    Init.xavierUniform(layer.weight, generator: generator)
    layer.bias?.fill(0)
}

func zeroInit(_ layer: Linear) {
    layer.weight.fill(0)
    layer.bias?.fill(0)
}
