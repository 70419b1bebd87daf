#!/usr/bin/env bash
# An action policy's behaviour-cloning step (recipes/reach-chunk.yaml's hot path): Plinth
# (`plinth-bench policy`: `ActionPolicy` with the chunk head on a `MultimodalModel`'s vision tower
# and shared blocks, its loss, backward and AdamW) against the same model and step in CPU PyTorch
# (benchmarks/policy/peer.py), in one run, at the same thread count and shape, interleaved over
# ROUNDS. The locked text tower is not run: both sides take random instruction token features, as
# the recipe's cache gives. Asserts that both sides train the same number of parameters. Prints a
# markdown table of the median step time per round with the ratio; copy it into
# benchmarks/RESULTS.md with the command line. Keep the machine idle (see
# benchmarks/captioning/run.sh on PyTorch's thread pool under contention).
#
#   benchmarks/policy/run.sh    # THREADS=2 ROUNDS=2 BATCH=64 IMAGE=64 PATCH=8 WIDTH=128 SHARED_LAYERS=2 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
shape=(--batch "${BATCH:-64}" --image "${IMAGE:-64}" --patch "${PATCH:-8}" --width "${WIDTH:-128}"
       --vision-layers "${VISION_LAYERS:-1}" --shared-layers "${SHARED_LAYERS:-2}" --heads "${HEADS:-4}"
       --tokens "${TOKENS:-8}" --text-width "${TEXT_WIDTH:-384}" --queries "${QUERIES:-4}" --hidden "${HIDDEN:-256}"
       --horizon "${HORIZON:-4}" --state "${STATE:-2}" --action "${ACTION:-2}" --iters "${ITERS:-10}"
       --warmup "${WARMUP:-3}")
swift build -c release --package-path benchmarks/swift >/dev/null
bench=benchmarks/swift/.build/release/plinth-bench
echo "| round | Plinth ms/step | PyTorch ms/step | ratio (>1: Plinth faster) | Plinth samples/s |"
echo "|---:|---:|---:|---:|---:|"
for r in $(seq "$rounds"); do
  ours=$(PLINTH_NUM_THREADS=$threads $bench policy "${shape[@]}" | sed -n 's/^JSON //p')
  peer=$(python3 benchmarks/policy/peer.py --threads "$threads" "${shape[@]}")
  python3 - "$r" "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert o["parameters"] == p["parameters"], (o["parameters"], p["parameters"])
print(f"| {sys.argv[1]} | {o['median_ms']:.0f} | {p['median_ms']:.0f} | **{p['median_ms'] / o['median_ms']:.2f}** | {o['items_per_s']:.0f} |")
PY
done
