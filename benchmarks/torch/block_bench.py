#!/usr/bin/env python3
"""PyTorch reference for Plinth's transformer-block benchmark.

One open_clip-style ResidualAttentionBlock (pre-LN ViT block), width 384,
6 heads, MLP 1536, erf GELU, no dropout, no layer scale:

    x = x + attn(ln_1(x), ln_1(x), ln_1(x), need_weights=False)[0]
    x = x + c_proj(gelu(c_fc(ln_2(x))))

Input [32, 197, 384] float32 with requires_grad=True; loss = out.sum(), so the
backward pass is seeded with a ones gradient. Configs: a single block and a
stack of 6 blocks (--blocks 1,6).

    python3 benchmarks/torch/block_bench.py                 # threads 2, blocks 1 and 6
    python3 benchmarks/torch/block_bench.py --threads 1 --iters 9 --blocks 1

Timing (per config): --warmup iterations (default 2), then --iters timed
iterations (default 5). Each iteration times forward (model(x) and .sum())
and backward (loss.backward()) with time.perf_counter; total = forward +
backward of the same iteration. The medians of fwd, bwd and total are
reported independently (so fwd + bwd need not equal total exactly); min and
max of total are reported as a noise indication. Gradients are set to None
between iterations, outside the timed region. The machine is shared: an
iteration during which other processes used more than --max-other (default
0.10) of all CPUs (busy jiffies in /proc/stat minus this process's
utime+stime) is dropped and retaken after a pause, up to 4x --iters extra
attempts; "dropped" and "contended" (kept anyway) counts are in the JSON.

Peak memory (Plinth's Swift benchmark measures it the same way):
  * every config runs in a fresh child process (unless --in-process), after
    `import torch` and torch.set_num_threads(N);
  * baseline = VmRSS from /proc/self/status read just before the model and
    the input are created;
  * after the warm-up iterations, the kernel's RSS high-water mark is reset
    by writing "5" to /proc/self/clear_refs (checked to work on this Linux);
    if that write fails, VmHWM is left as is, i.e. it covers the whole child
    process from start-up (the child being fresh, that still measures this
    config only; "peak_method" in the JSON says which was used);
  * peak_mb = (VmHWM after the timed iterations - baseline VmRSS) / 2^20,
    i.e. MiB of resident memory the model, input, activations, gradients,
    allocator caches and library workspaces added at their peak.

Output: one JSON line per config on stdout, prefixed "JSON " (name, blocks,
threads, shape, iters, median_ms {fwd,bwd,total}, total_ms_min/max, peak_mb,
baseline_mb, peak_method, dropped, contended, torch version), then a
human-readable table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def read_status_kib():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, val = line.split(":", 1)
                out[key] = int(val.split()[0])
    return out


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from contention import HZ, NCPU, self_busy, sys_busy  # noqa: E402


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_config(blocks, threads, warmup, iters, batch, tokens, width, heads, mlp_ratio, max_other):
    import torch
    import torch.nn as nn

    torch.set_num_threads(threads)

    class ResidualAttentionBlock(nn.Module):
        def __init__(self, d, h, mlp):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = nn.MultiheadAttention(d, h, batch_first=True)
            self.ln_2 = nn.LayerNorm(d)
            self.mlp = nn.Sequential()
            self.mlp.add_module("c_fc", nn.Linear(d, mlp))
            self.mlp.add_module("gelu", nn.GELU())  # erf form (approximate='none')
            self.mlp.add_module("c_proj", nn.Linear(mlp, d))

        def forward(self, x):
            h = self.ln_1(x)
            x = x + self.attn(h, h, h, need_weights=False)[0]
            x = x + self.mlp(self.ln_2(x))
            return x

    baseline_kib = read_status_kib()["VmRSS"]  # just before model + input exist

    torch.manual_seed(0)
    model = nn.Sequential(*[ResidualAttentionBlock(width, heads, width * mlp_ratio) for _ in range(blocks)])
    model.train()
    x = torch.randn(batch, tokens, width, dtype=torch.float32, requires_grad=True)

    def step():
        t0 = time.perf_counter()
        loss = model(x).sum()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, t2 - t0

    def clear_grads():
        model.zero_grad(set_to_none=True)
        x.grad = None

    for _ in range(warmup):
        step()
        clear_grads()

    method = "clear_refs" if reset_hwm() else "hwm_since_process_start"
    fwd, bwd, tot = [], [], []
    dropped = contended = attempts = 0
    while len(tot) < iters:
        attempts += 1
        sb0, pb0 = sys_busy(), self_busy()
        f, b, t = step()
        other = ((sys_busy() - sb0) - (self_busy() - pb0)) / (t * HZ * NCPU)
        clear_grads()
        if other > max_other and attempts <= 5 * iters:
            dropped += 1
            time.sleep(0.5)
            continue
        contended += other > max_other
        fwd.append(f)
        bwd.append(b)
        tot.append(t)
    hwm_kib = read_status_kib()["VmHWM"]

    ms = lambda v: round(1e3 * v, 2)
    return {
        "name": "torch_block_x%d" % blocks,
        "blocks": blocks,
        "threads": threads,
        "shape": [batch, tokens, width],
        "heads": heads,
        "mlp": width * mlp_ratio,
        "warmup": warmup,
        "iters": iters,
        "median_ms": {"fwd": ms(statistics.median(fwd)), "bwd": ms(statistics.median(bwd)),
                      "total": ms(statistics.median(tot))},
        "total_ms_min": ms(min(tot)),
        "total_ms_max": ms(max(tot)),
        "peak_mb": round((hwm_kib - baseline_kib) / 1024.0, 1),
        "baseline_mb": round(baseline_kib / 1024.0, 1),
        "peak_method": method,
        "dropped": dropped,
        "contended": contended,
        "torch": torch.__version__,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blocks", default="1,6", help="comma-separated stack depths")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=197)
    ap.add_argument("--width", type=int, default=384)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--mlp-ratio", type=int, default=4)
    ap.add_argument("--max-other", type=float, default=0.10)
    ap.add_argument("--in-process", action="store_true",
                    help="run all configs in this process (peak memory then less clean)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    blocks = [int(b) for b in args.blocks.split(",") if b]
    cfg = dict(threads=args.threads, warmup=args.warmup, iters=args.iters, batch=args.batch,
               tokens=args.tokens, width=args.width, heads=args.heads, mlp_ratio=args.mlp_ratio,
               max_other=args.max_other)

    if args.child:
        print("JSON " + json.dumps(run_config(blocks[0], **cfg)), flush=True)
        return 0

    results = []
    for nb in blocks:
        if args.in_process:
            r = run_config(nb, **cfg)
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "--child", "--blocks", str(nb)]
            for k in ("threads", "warmup", "iters", "batch", "tokens", "width", "heads"):
                cmd += ["--" + k, str(getattr(args, k))]
            cmd += ["--mlp-ratio", str(args.mlp_ratio), "--max-other", str(args.max_other)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            r = json.loads([l for l in out.splitlines() if l.startswith("JSON ")][-1][5:])
        results.append(r)
        print("JSON " + json.dumps(r), flush=True)

    print()
    print("torch %s, input %s float32, fwd+bwd, %d warm-up + median of %d" % (
        results[0]["torch"], "x".join(map(str, results[0]["shape"])), args.warmup, args.iters))
    print("%-16s %7s %9s %9s %10s %17s %9s %8s" % ("config", "threads", "fwd ms", "bwd ms", "total ms",
                                                 "total min..max", "peak MiB", "dropped"))
    for r in results:
        m = r["median_ms"]
        print("%-16s %7d %9.1f %9.1f %10.1f %17s %9.1f %8s" % (
            r["name"], r["threads"], m["fwd"], m["bwd"], m["total"],
            "%.1f..%.1f" % (r["total_ms_min"], r["total_ms_max"]), r["peak_mb"],
            "%d%s" % (r["dropped"], "*" if r["contended"] else "")))
    print("peak MiB = VmHWM after timed iters (HWM reset via %s) - VmRSS before model/input creation"
          % results[0]["peak_method"])
    if any(r["contended"] for r in results):
        print("* = some kept iterations were still contended (other processes > --max-other)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
