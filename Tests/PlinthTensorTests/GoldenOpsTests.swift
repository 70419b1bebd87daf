import PlinthNN
import PlinthTensor
import PlinthTestSupport
import XCTest

/// Forward values and gradients of every op against PyTorch
/// (Tests/Fixtures/tensor_ops.safetensors, made by scripts/fixtures/gen_tensor_ops.py).
final class GoldenOpsTests: XCTestCase {
    static let file = try! Fixtures.open("tensor_ops.safetensors")

    func t(_ key: String) -> Tensor { try! Self.file.tensor(key) }
    func ints(_ key: String) -> [Int] { t(key).toArray().map { Int($0) } }

    /// Runs `op` on the case's inputs (named by letter), backpropagates `gout`
    /// and compares `out` and `d<letter>` for each differentiable input.
    func check(_ name: String, _ letters: [String], differentiable: [String]? = nil, atol: Float = 1e-5,
               file: StaticString = #filePath, line: UInt = #line, _ op: ([String: Tensor]) -> Tensor) {
        var inputs: [String: Tensor] = [:]
        let diff = differentiable ?? letters
        for l in letters {
            let x = t("\(name).\(l)")
            x.requiresGrad = diff.contains(l)
            inputs[l] = x
        }
        let out = op(inputs)
        let expected = t("\(name).out")
        XCTAssertEqual(out.shape, expected.shape, "\(name): output shape", file: file, line: line)
        guard out.shape == expected.shape else { return }
        XCTAssertLessThanOrEqual(maxAbsDifference(out, expected), atol, "\(name): forward", file: file, line: line)
        out.backward(t("\(name).gout"))
        for l in diff {
            let want = t("\(name).d\(l)")
            guard let got = inputs[l]!.grad else { XCTFail("\(name): no gradient for \(l)", file: file, line: line); continue }
            XCTAssertEqual(got.shape, want.shape, "\(name): d\(l) shape", file: file, line: line)
            if got.shape == want.shape {
                XCTAssertLessThanOrEqual(maxAbsDifference(got, want), atol * 4, "\(name): d\(l)", file: file, line: line)
            }
        }
    }

    func testArithmetic() {
        check("add", ["x", "y"]) { $0["x"]! + $0["y"]! }
        check("sub", ["x", "y"]) { $0["x"]! - $0["y"]! }
        check("mul", ["x", "y"]) { $0["x"]! * $0["y"]! }
        check("div", ["x", "y"]) { $0["x"]! / $0["y"]! }
        check("maximum", ["x", "y"]) { Tensor.maximum($0["x"]!, $0["y"]!) }
        check("neg", ["x"]) { -$0["x"]! }
        check("where", ["c", "x", "y"], differentiable: ["x", "y"]) { Tensor.where($0["c"]!, $0["x"]!, $0["y"]!) }
    }

    func testUnaryMath() {
        check("exp", ["x"]) { $0["x"]!.exp() }
        check("log", ["x"]) { $0["x"]!.log() }
        check("sqrt", ["x"]) { $0["x"]!.sqrt() }
        check("rsqrt", ["x"]) { $0["x"]!.rsqrt() }
        check("tanh", ["x"]) { $0["x"]!.tanh() }
        check("sigmoid", ["x"]) { $0["x"]!.sigmoid() }
        check("relu", ["x"]) { $0["x"]!.relu() }
        check("gelu_erf", ["x"]) { $0["x"]!.gelu() }
        check("gelu_tanh", ["x"]) { $0["x"]!.gelu(approximateTanh: true) }
        check("silu", ["x"]) { $0["x"]!.silu() }
        check("abs", ["x"]) { $0["x"]!.abs() }
        check("pow", ["x"]) { $0["x"]!.pow(2.5) }
        check("clamp", ["x"]) { $0["x"]!.clamp(min: -1, max: 1.5) }
    }

    func testReductions() {
        check("sum_dim", ["x"]) { $0["x"]!.sum(dim: 1) }
        check("sum_all", ["x"]) { $0["x"]!.sum() }
        check("mean_dim_keep", ["x"]) { $0["x"]!.mean(dim: 2, keepdim: true) }
        check("mean_all", ["x"]) { $0["x"]!.mean() }
        check("max_dim", ["x"]) { $0["x"]!.max(dim: 1).values }
        XCTAssertEqual(t("max_dim.x").max(dim: 1).indices, ints("max_dim.idx"))
        XCTAssertEqual(t("argmax.x").argmax(dim: -1), ints("argmax.idx"))
        check("logsumexp", ["x"]) { $0["x"]!.logsumexp(dim: -1) }
        check("var", ["x"]) { $0["x"]!.variance(dim: 1) }
        check("var_biased_keep", ["x"]) { $0["x"]!.variance(dim: 1, correction: 0, keepdim: true) }
    }

    func testMatmul() {
        check("matmul", ["x", "y"]) { Tensor.matmul($0["x"]!, $0["y"]!) }
        check("bmm", ["x", "y"]) { Tensor.matmul($0["x"]!, $0["y"]!) }
        check("matmul_bcast", ["x", "y"]) { Tensor.matmul($0["x"]!, $0["y"]!) }
        check("matmul_bcast_batch", ["x", "y"]) { Tensor.matmul($0["x"]!, $0["y"]!) }
        check("matmul_tt", ["x", "y"]) { Tensor.matmul($0["x"]!.T, $0["y"]!.T) }
    }

    func testSoftmaxAndNorm() {
        check("softmax", ["x"]) { $0["x"]!.softmax(dim: -1) }
        check("softmax_dim0", ["x"]) { $0["x"]!.softmax(dim: 0) }
        check("log_softmax", ["x"]) { $0["x"]!.logSoftmax(dim: -1) }
        check("layer_norm", ["x", "w", "b"]) { Tensor.layerNorm($0["x"]!, weight: $0["w"]!, bias: $0["b"]!) }
    }

    func testIndexingAndLayout() {
        check("embedding", ["w"]) { Tensor.embedding($0["w"]!, indices: self.ints("embedding.idx"), shape: [2, 3]) }
        check("cat", ["x", "y"]) { Tensor.concat([$0["x"]!, $0["y"]!], dim: 1) }
        check("stack", ["x", "y"]) { Tensor.stack([$0["x"]!, $0["y"]!], dim: 0) }
        check("gather", ["x"]) { $0["x"]!.gather(dim: 1, index: self.ints("gather.idx"), shape: [3, 2]) }
        check("index_select", ["x"]) { $0["x"]!.indexSelect(dim: 0, indices: self.ints("index_select.idx")) }
        check("transpose_contig", ["x"]) { $0["x"]!.transpose(0, 2).contiguous() }
        check("permute", ["x"]) { $0["x"]!.permute([0, 2, 3, 1]) }
        check("slice", ["x"]) { $0["x"]!.slice(0, 1..<3).slice(1, 2..<5) }
    }

    /// A strided convolution as unfold + matmul, the patch embedding's path.
    func testPatchConvolution() {
        for (name, stride) in [("conv_patch", 4), ("conv_overlap", 3)] {
            check(name, ["x", "w", "b"]) { v in
                let (x, w) = (v["x"]!, v["w"]!)
                let (bsz, h, wd, k) = (x.shape[0], x.shape[2], x.shape[3], w.shape[2])
                let (oh, ow) = ((h - k) / stride + 1, (wd - k) / stride + 1)
                let patches = x.unfold(kernel: (k, k), stride: (stride, stride))        // [B, L, C*k*k]
                let y = Tensor.linear(patches, w.reshape([w.shape[0], -1]), v["b"]!)  // [B, L, D]
                return y.transpose(1, 2).reshape([bsz, w.shape[0], oh, ow])            // [B, D, oh, ow]
            }
        }
    }

    func testAttention() {
        check("sdpa", ["q", "k", "v"]) { Tensor.scaledDotProductAttention($0["q"]!, $0["k"]!, $0["v"]!) }
        check("sdpa_causal", ["q", "k", "v"]) { Tensor.scaledDotProductAttention($0["q"]!, $0["k"]!, $0["v"]!, causal: true) }
        check("sdpa_causal_cross", ["q", "k", "v"]) {
            Tensor.scaledDotProductAttention($0["q"]!, $0["k"]!, $0["v"]!, causal: true)
        }
        let keep = t("sdpa_padmask.mask")
        let additive = keep.elementwise { $0 != 0 ? 0 : -.infinity }
        check("sdpa_padmask", ["q", "k", "v"]) {
            Tensor.scaledDotProductAttention($0["q"]!, $0["k"]!, $0["v"]!, mask: additive)
        }
    }

    func testLosses() {
        check("cross_entropy", ["x"]) { Tensor.crossEntropy($0["x"]!, targets: self.ints("cross_entropy.t")) }
        check("cross_entropy_ls", ["x"]) {
            Tensor.crossEntropy($0["x"]!, targets: self.ints("cross_entropy_ls.t"), labelSmoothing: 0.1)
        }
        check("mse", ["x", "y"]) { Tensor.mseLoss($0["x"]!, $0["y"]!) }
    }
}
