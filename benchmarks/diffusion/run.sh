#!/usr/bin/env bash
# A DiT denoiser training step (the diffusion recipes' hot path): Plinth (`plinth-bench dit`,
# `Denoiser` + `diffusionLoss` + AdamW) against the same model and step in CPU PyTorch
# (benchmarks/diffusion/peer.py), in one run, at the same thread count and shape, interleaved
# over ROUNDS. Prints a markdown table of the median step time per round with the ratio; copy
# it into benchmarks/RESULTS.md with the command line. Keep the machine idle (see
# benchmarks/captioning/run.sh on PyTorch's thread pool under contention).
#
#   benchmarks/diffusion/run.sh    # THREADS=2 ROUNDS=2 BATCH=128 WIDTH=128 LAYERS=6 PATCH=4 CHANNELS=1 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
shape=(--batch "${BATCH:-128}" --width "${WIDTH:-128}" --layers "${LAYERS:-6}" --patch "${PATCH:-4}"
       --channels "${CHANNELS:-1}" --heads "${HEADS:-4}" --iters "${ITERS:-10}")
swift build -c release --package-path benchmarks/swift >/dev/null
bench=benchmarks/swift/.build/release/plinth-bench
echo "| round | Plinth ms/step | PyTorch ms/step | ratio (>1: Plinth faster) | Plinth images/s |"
echo "|---:|---:|---:|---:|---:|"
for r in $(seq "$rounds"); do
  ours=$(PLINTH_NUM_THREADS=$threads $bench dit "${shape[@]}" | sed -n 's/^JSON //p')
  peer=$(python3 benchmarks/diffusion/peer.py --threads "$threads" "${shape[@]}")
  python3 - "$r" "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert o["parameters"] == p["parameters"], (o["parameters"], p["parameters"])
print(f"| {sys.argv[1]} | {o['median_ms']:.0f} | {p['median_ms']:.0f} | **{p['median_ms'] / o['median_ms']:.2f}** | {o['images_per_s']:.0f} |")
PY
done
