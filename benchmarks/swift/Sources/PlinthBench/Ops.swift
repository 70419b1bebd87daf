import Foundation
import Plinth

/// Times the ops of one block at benchmark shapes, to find hot spots.
func profileOps() {
    func time(_ name: String, _ body: () -> Void) {
        body()
        var ts: [Double] = []
        for _ in 0..<5 { let t0 = now(); body(); ts.append(now() - t0) }
        print(String(format: "%-28@ %8.2f ms", name as NSString, median(ts) * 1e3))
    }
    let x = Tensor.randn([32, 197, 384]), w = Tensor.randn([1152, 384]), b = Tensor.randn([1152])
    let h = Tensor.randn([32, 197, 1536])
    let q = Tensor.randn([32, 6, 197, 64]), g = Tensor.randn([32, 197, 384])
    time("linear 384->1152") { _ = Tensor.linear(x, w, b) }
    time("matmul 6304x384 @ 384x1152") { _ = Tensor.matmul(x.reshape([-1, 384]), w.T) }
    time("gelu [32,197,1536]") { _ = h.gelu() }
    time("add [32,197,384]") { _ = x + g }
    time("mul [32,197,1536]") { _ = h * h }
    time("layerNorm [32,197,384]") { _ = Tensor.layerNorm(x, weight: nil, bias: nil) }
    let scores = Tensor.randn([32 * 6 * 197, 197])
    time("softmax [32*6*197,197]") { _ = scores.softmax() }
    time("attention fwd") { _ = Tensor.scaledDotProductAttention(q, q, q) }
    time("permute copy [B,T,H,E]->[B,H,T,E]") { _ = q.permute([0, 2, 1, 3]).contiguous() }
    time("sum [32,197,1536] dim 0..1") { _ = h.sum(dims: [0, 1]) }
    time("zeros [32,197,1536]") { _ = Tensor.zeros([32, 197, 1536]) }
    time("randn [32,197,384]") { _ = Tensor.randn([32, 197, 384]) }

    // Stages of one block, forward and forward+backward.
    let block = ResidualAttentionBlock(384, heads: 6)
    let xg = Tensor.randn([32, 197, 384], requiresGrad: true)
    func stage(_ name: String, _ f: @escaping (Tensor) -> Tensor) {
        time("fwd " + name) { _ = f(xg) }
        time("fwd+bwd " + name) { block.zeroGrad(); xg.zeroGrad(); f(xg).sum().backward() }
    }
    stage("ln_1") { block.ln1($0) }
    stage("attn (qkv, sdpa, out)") { block.attn($0) }
    stage("mlp") { block.mlp($0) }
    stage("block") { block($0) }
}

