#!/usr/bin/env python3
"""Turns the log written by benchmarks/run.sh into the comparison table."""
import json
import statistics
import sys

blocks = {"PLINTH": {}, "TORCH": {}}
gemm = {}
for line in open(sys.argv[1]):
    tag, _, rest = line.rstrip("\n").partition(" ") if not line.startswith("GEMM") else ("GEMM", "", line[5:])
    if tag in blocks:
        r = json.loads(rest)
        blocks[tag].setdefault(r["blocks"], []).append(r)
    elif tag == "GEMM":
        f = rest.split("\t")
        gemm.setdefault(f[1], {})[f[0]] = (f"{f[2]}{f[3]} {f[4]}x{f[5]}x{f[6]} t{f[7]}", float(f[8]))

print("Transformer block forward+backward, input [32, 197, 384], width 384, 6 heads, MLP 1536")
print("(median over rounds of each run's median; peak = resident memory added at the peak)")
print(f"{'blocks':>6} {'threads':>7} {'Plinth ms':>10} {'PyTorch ms':>11} {'time ratio':>10} "
      f"{'Plinth MiB':>10} {'PyTorch MiB':>11} {'mem ratio':>9}")
for n in sorted(blocks["PLINTH"]):
    p, t = blocks["PLINTH"][n], blocks["TORCH"].get(n, [])
    if not t:
        continue
    pm = statistics.median(r["median_ms"]["total"] for r in p)
    tm = statistics.median(r["median_ms"]["total"] for r in t)
    pp = statistics.median(r["peak_mb"] for r in p)
    tp = statistics.median(r["peak_mb"] for r in t)
    print(f"{n:>6} {p[0]['threads']:>7} {pm:>10.1f} {tm:>11.1f} {pm / tm:>10.2f} {pp:>10.1f} {tp:>11.1f} {pp / tp:>9.2f}")

print()
print("sgemm GFLOP/s at the block's shapes (Plinth through Tensor.matmul; numpy's bundled OpenBLAS)")
print(f"{'shape':<16} {'op':<24} {'Plinth':>8} {'numpy':>8} {'ratio':>6}")
ratios = []
for name, peers in gemm.items():
    if "plinth" in peers and "numpy" in peers:
        op, p = peers["plinth"]
        n = peers["numpy"][1]
        ratios.append(p / n)
        print(f"{name:<16} {op:<24} {p:>8.1f} {n:>8.1f} {p / n:>6.2f}")
if ratios:
    print(f"{'geomean':<16} {'':<24} {'':>8} {'':>8} {statistics.geometric_mean(ratios):>6.2f}")
