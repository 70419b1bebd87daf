// Plinth's side of benchmarks/run.sh. Prints one "JSON {...}" line per measurement.
//
//   plinth-bench gemm                 sgemm GFLOP/s through Tensor.matmul at transformer shapes
//   plinth-bench block --blocks 6     forward+backward of ResidualAttentionBlocks, [32, 197, 384]
//
// Threads come from PLINTH_NUM_THREADS (Plinth and OpenBLAS alike).
import Foundation
import Plinth

let args = CommandLine.arguments.dropFirst()
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.endIndex, let v = Int(args[i + 1]) else { return fallback }
    return v
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print("JSON " + String(decoding: data, as: UTF8.self))
}

switch args.first {
case "gemm":
    // (M, N, K) for batch 32 x 197 tokens, width 384: projections and their weight gradients.
    let shapes = [(6304, 1152, 384), (6304, 384, 384), (6304, 1536, 384), (6304, 384, 1536), (384, 1536, 6304),
                  (2048, 2048, 2048)]
    for (m, n, k) in shapes {
        let a = Tensor.randn([m, k]), b = Tensor.randn([k, n])
        _ = Tensor.matmul(a, b)
        var times: [Double] = []
        for _ in 0..<7 {
            let t0 = now()
            _ = Tensor.matmul(a, b)
            times.append(now() - t0)
        }
        let gflops = 2 * Double(m) * Double(n) * Double(k) / median(times) / 1e9
        emit(["name": "gemm", "m": m, "n": n, "k": k, "threads": Threads.count, "gflops": gflops])
    }
case "block":
    let blocks = option("--blocks", 1), iters = option("--iters", 5), warmup = option("--warmup", 2)
    let (b, t, d, h) = (option("--batch", 32), option("--tokens", 197), option("--width", 384), option("--heads", 6))
    let baseline = Memory.rssKiB
    let model = Transformer(width: d, layers: blocks, heads: h)
    let x = Tensor.randn([b, t, d], requiresGrad: true)   // [B, T, D]
    var fwd: [Double] = [], bwd: [Double] = [], total: [Double] = []
    var method = "hwm_since_process_start"
    for i in 0..<(warmup + iters) {
        if i == warmup, Memory.resetPeak() { method = "clear_refs" }
        model.zeroGrad()
        x.zeroGrad()
        let t0 = now()
        let loss = model(x).sum()
        let t1 = now()
        loss.backward()
        let t2 = now()
        if i >= warmup { fwd.append(t1 - t0); bwd.append(t2 - t1); total.append(t2 - t0) }
    }
    emit(["name": "block", "blocks": blocks, "threads": Threads.count, "shape": [b, t, d], "iters": iters,
          "median_ms": ["fwd": median(fwd) * 1e3, "bwd": median(bwd) * 1e3, "total": median(total) * 1e3],
          "peak_mb": Double(Memory.peakKiB - baseline) / 1024, "baseline_mb": Double(baseline) / 1024,
          "peak_method": method])
case "ops":
    profileOps()
default:
    print("usage: plinth-bench gemm | block [--blocks N] [--iters N] [--warmup N]")
    exit(2)
}
