// Plinth's side of benchmarks/run.sh. Prints one "JSON {...}" line per measurement.
//
//   plinth-bench gemm [SHAPES]        sgemm GFLOP/s through Tensor.matmul (benchmarks/blas/shapes.txt)
//   plinth-bench block --blocks 6     forward+backward of ResidualAttentionBlocks, [32, 197, 384]
//   plinth-bench images|audio DIR     decode + preprocess a folder (CLIP 224 / ImageBind fbank), items/s
//   plinth-bench sentences ...        sentence embedding with an imported MiniLM (benchmarks/minilm), sentences/s
//   plinth-bench captions ...         caption decoding (benchmarks/captioning), captions/s
//   plinth-bench dit ...              a DiT denoiser training step (benchmarks/diffusion), images/s
//   plinth-bench policy ...           an action policy's behaviour-cloning step (benchmarks/policy), samples/s
//   plinth-bench collectives ...      MPI all-reduce and all-gather under mpirun (benchmarks/distributed), GB/s
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
    // Same shapes and output columns as benchmarks/blas/sgemm_bench.c: name, shape,
    // transA, transB, M, N, K, threads, median/min/max GFLOP/s, forced.
    let path = args.dropFirst().first ?? "benchmarks/blas/shapes.txt"
    let defaultThreads = Threads.count
    for line in try! String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
        let f = line.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count == 7, let m = Int(f[3]), let n = Int(f[4]), let k = Int(f[5]), let th = Int(f[6]) else { continue }
        Threads.setCount(th == 0 ? defaultThreads : th)
        // op(A) [M, K] and op(B) [K, N] as transposed views where the shape says T.
        let a = f[1] == "T" ? Tensor.randn([k, m]).T : Tensor.randn([m, k])
        let b = f[2] == "T" ? Tensor.randn([n, k]).T : Tensor.randn([k, n])
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let calls = max(1, Int(0.1 / (flops / 100e9)))
        _ = Tensor.matmul(a, b)
        var rates: [Double] = []
        for _ in 0..<7 {
            let t0 = now()
            for _ in 0..<calls { _ = Tensor.matmul(a, b) }
            rates.append(flops * Double(calls) / (now() - t0) / 1e9)
        }
        rates.sort()
        print(String(format: "plinth\t%@\t%@\t%@\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t0", String(f[0]), String(f[1]),
                     String(f[2]), m, n, k, Threads.count, median(rates), rates.first!, rates.last!))
    }
case "block":
    let blocks = option("--blocks", 1), iters = option("--iters", 5), warmup = option("--warmup", 2)
    let (b, t, d, h) = (option("--batch", 32), option("--tokens", 197), option("--width", 384), option("--heads", 6))
    let baseline = Memory.rssKiB
    let model = Transformer(width: d, layers: blocks, heads: h)
    let x = Tensor.randn([b, t, d], requiresGrad: true)   // [B, T, D]
    var fwd: [Double] = [], bwd: [Double] = [], total: [Double] = []
    var method = "hwm_since_process_start"
    var dropped = 0
    for i in 0..<warmup + iters + 4 * iters {
        if total.count == iters { break }
        if i == warmup, Memory.resetPeak() { method = "clear_refs" }
        model.zeroGrad()
        x.zeroGrad()
        let c0 = Contention.sample()
        let t0 = now()
        let loss = model(x).sum()
        let t1 = now()
        loss.backward()
        let t2 = now()
        guard i >= warmup else { continue }
        // As the PyTorch script: an iteration during which other processes used
        // more than 10% of the machine is dropped and retaken (up to 4x iters).
        if Contention.sample().others(since: c0) > 0.10 && i < warmup + 4 * iters { dropped += 1; continue }
        fwd.append(t1 - t0); bwd.append(t2 - t1); total.append(t2 - t0)
    }
    emit(["name": "block", "blocks": blocks, "threads": Threads.count, "shape": [b, t, d], "iters": iters,
          "median_ms": ["fwd": median(fwd) * 1e3, "bwd": median(bwd) * 1e3, "total": median(total) * 1e3],
          "peak_mb": Double(Memory.peakKiB - baseline) / 1024, "baseline_mb": Double(baseline) / 1024,
          "peak_method": method, "dropped": dropped])
case "ops":
    profileOps()
case "sentences":
    try! benchmarkSentences(args.dropFirst())
case "captions": try! benchmarkCaptions(args.dropFirst())   // benchmarks/captioning
case "dit": benchmarkDiT(args.dropFirst())                   // benchmarks/diffusion
case "policy": benchmarkPolicy(args.dropFirst())             // benchmarks/policy
case "collectives": try! benchmarkCollectives(args.dropFirst())  // benchmarks/distributed
case "images", "audio":
    try! benchmarkFrontEnd(args.first!, folder: args.dropFirst().first ?? ".")
default:
    print("usage: plinth-bench gemm [SHAPES] | block [--blocks N] [--iters N] [--warmup N] | images DIR | audio DIR | ops\n"
          + "       sentences (--model MODEL.safetensors | --import HF_DIR) --sentences FILE [--batch-size B] [--repeat R]")
    exit(2)
}
