#!/usr/bin/env bash
# Caption decoding with the shipped model's caption head: Plinth (`plinth-bench captions`,
# CaptionHead.caption) against the same head in plain CPU torch (benchmarks/captioning/peer.py),
# in one run, at the same thread count, over the same N conditions, one item at a time, greedy
# and beam search (BEAMS), at most MAX_LENGTH tokens, the whole sequence recomputed at each step
# on both sides. Each side loads once, warms up once, and reports its best of REPEAT full passes.
# Prints a markdown table of captions/s (best round) with ratios, and how many of the N best
# sequences are token for token the same on both sides; copy it into benchmarks/RESULTS.md with
# the command line.
#
#   benchmarks/captioning/run.sh    # THREADS=2 ROUNDS=2 REPEAT=3 N=200 BEAMS="1 3" MAX_LENGTH=20 by default
#
# Conditions: N rows of standard normal numpy noise (default_rng(0)), [N, E], stand-ins for joint
# embeddings (the head L2-normalizes them). The peer needs torch, numpy and safetensors in
# python3. Keep the machine idle: at THREADS=2 on 2 cores another busy process stalls torch's
# OpenMP workers at every op (about 100x slower here, OMP_WAIT_POLICY=PASSIVE recovers most of it),
# while Plinth slows far less; such a table measures the contention, not the decoders.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
repeat=${REPEAT:-3}
n=${N:-200}
beams=${BEAMS:-1 3}
max_length=${MAX_LENGTH:-20}
model=${MODEL:-assets/model/model.safetensors}
swift build -c release --package-path benchmarks/swift >/dev/null
bench=benchmarks/swift/.build/release/plinth-bench
work=$(mktemp -d /tmp/plinth-captioning.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$model" "$n" "$work/conditions.safetensors" <<'EOF'
import json, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file
with safe_open(sys.argv[1], "np") as f:
    e = json.loads(f.metadata()["plinth_card"])["config"]["embed_dim"]
save_file({"conditions": np.random.default_rng(0).standard_normal((int(sys.argv[2]), e), dtype=np.float32)}, sys.argv[3])
EOF
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for _ in $(seq "$rounds"); do    # peers interleaved, so drift in machine load hits both
  for b in $beams; do
    PLINTH_NUM_THREADS=$threads $bench captions --model "$model" --conditions "$work/conditions.safetensors" \
      --beams "$b" --max-length "$max_length" --repeat "$repeat" | sed -n 's/^JSON /PLINTH\t/p' >> "$work/log"
    python3 benchmarks/captioning/peer.py --model "$model" --conditions "$work/conditions.safetensors" \
      --threads "$threads" --beams "$b" --max-length "$max_length" --repeat "$repeat" | sed -n 's/^{/PEER\t{/p' >> "$work/log"
  done
done

python3 - "$work/log" <<EOF
import json, sys
runs = {}
for line in open(sys.argv[1]):
    side, js = line.rstrip("\n").split("\t", 1)
    r = json.loads(js)
    runs.setdefault((side, r["beams"]), []).append(r)
def best(side, b): return max(r["captions_per_s"] for r in runs[(side, b)])
beams = sorted({b for _, b in runs})
first = runs[("PLINTH", beams[0])][0]
for b in beams:   # the decoded sequences depend on the data only: every round must agree with the first
    for side in ("PLINTH", "PEER"):
        assert all(r["tokens"] == runs[(side, b)][0]["tokens"] for r in runs[(side, b)]), f"{side} beams {b} varies"
    assert runs[("PLINTH", b)][0]["start"] == runs[("PEER", b)][0]["start"] and runs[("PLINTH", b)][0]["end"] == runs[("PEER", b)][0]["end"]
print(f"{first['items']} conditions one at a time, at most {first['max_length']} tokens, {first['threads']} threads,"
      f" best of $repeat passes per run, best of $rounds rounds.")
print(f"Plinth: {first['peer']}; peer: {runs[('PEER', beams[0])][0]['peer']} (benchmarks/captioning/peer.py).\n")
print("| search | Plinth captions/s | PyTorch captions/s | ratio Plinth/peer (>1: Plinth faster) | same tokens | mean tokens Plinth / peer | max abs log p diff (same tokens) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for b in beams:
    p, q = runs[("PLINTH", b)][0], runs[("PEER", b)][0]
    same = [i for i, (s, t) in enumerate(zip(p["tokens"], q["tokens"])) if s == t]
    diff = max((abs(p["log_probs"][i] - q["log_probs"][i]) for i in same), default=float("nan"))
    mean = lambda r: sum(len(t) for t in r["tokens"]) / len(r["tokens"])
    print(f"| {'greedy' if b == 1 else f'beams {b}'} | {best('PLINTH', b):.1f} | {best('PEER', b):.1f} |"
          f" {best('PLINTH', b) / best('PEER', b):.2f} | {len(same)} / {len(p['tokens'])} |"
          f" {mean(p):.2f} / {mean(q):.2f} | {diff:.1e} |")
print("\nPer round (captions/s, Plinth / peer): " + "; ".join(
    f"{'greedy' if b == 1 else f'beams {b}'} " + " and ".join(
        f"{p['captions_per_s']:.1f} / {q['captions_per_s']:.1f}" for p, q in zip(runs[('PLINTH', b)], runs[('PEER', b)]))
    for b in beams) + ".")
EOF
echo
echo "Command: THREADS=$threads ROUNDS=$rounds REPEAT=$repeat N=$n BEAMS=\"$beams\" MAX_LENGTH=$max_length benchmarks/captioning/run.sh"
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
     "(family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1));" \
     "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg); $(git rev-parse --short HEAD)."
