#!/usr/bin/env bash
# Sentence embedding with all-MiniLM-L6-v2: Plinth (the model imported with ModelImport, run by
# Embedder) against sentence-transformers on CPU torch (benchmarks/minilm/peer.py), in one run,
# at the same thread count and batch size, over the same sentences. Both time tokenization and
# the model; each side loads once, warms up once, and reports its best of REPEAT full passes.
# Prints a markdown table of sentences/s (best round) with ratios; copy it into
# benchmarks/RESULTS.md with the command line.
#
#   benchmarks/minilm/run.sh          # THREADS=2 ROUNDS=2 REPEAT=3 BATCHES="32 128" by default
#
# Sentences: the prompt transcripts of asterisk-core-sounds-en (one per line, the text after the
# first ': ', empty ones skipped). Model: assets/pretrained/all-MiniLM-L6-v2 (scripts/setup.sh);
# the peer needs scripts/setup.sh --python. Keep the machine idle.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
repeat=${REPEAT:-3}
batches=${BATCHES:-32 128}
model=${MODEL:-assets/pretrained/all-MiniLM-L6-v2}
transcripts=${TRANSCRIPTS:-/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz}
swift build -c release --package-path benchmarks/swift >/dev/null
bench=benchmarks/swift/.build/release/plinth-bench
work=$(mktemp -d /tmp/plinth-minilm.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$transcripts" "$work/sentences.txt" <<'EOF'
import gzip, sys
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f:
    texts = [l.split(": ", 1)[1].strip() for l in f if not l.startswith(";") and ": " in l]
open(sys.argv[2], "w", encoding="utf-8").write("".join(t + "\n" for t in texts if t))
EOF
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for _ in $(seq "$rounds"); do    # peers interleaved, so drift in machine load hits both
  for b in $batches; do
    # --import translates the Hugging Face directory into a temporary folder, untimed.
    PLINTH_NUM_THREADS=$threads $bench sentences --import "$model" --sentences "$work/sentences.txt" \
      --batch-size "$b" --repeat "$repeat" | sed -n 's/^JSON /PLINTH\t/p' >> "$work/log"
    python3 benchmarks/minilm/peer.py --model "$model" --sentences "$work/sentences.txt" --threads "$threads" \
      --batch-size "$b" --repeat "$repeat" | sed -n 's/^{/PEER\t{/p' >> "$work/log"
  done
done

python3 - "$work/log" <<EOF
import json, sys
runs = {}
for line in open(sys.argv[1]):
    side, js = line.rstrip("\n").split("\t", 1)
    r = json.loads(js)
    runs.setdefault((side, r["batch_size"]), []).append(r)
def best(side, b): return max(r["sentences_per_s"] for r in runs[(side, b)])
first = next(iter(runs.values()))[0]
print(f"{first['sentences']} sentences, {first['threads']} threads, best of $repeat passes per run, best of $rounds rounds.")
print(f"Plinth: {runs[('PLINTH', first['batch_size'])][0]['peer']}; peer: {runs[('PEER', first['batch_size'])][0]['peer']}.\n")
print("| batch | Plinth sentences/s | sentence-transformers sentences/s | ratio Plinth/peer (>1: Plinth faster) |")
print("|---:|---:|---:|---:|")
for b in sorted({b for _, b in runs}):
    print(f"| {b} | {best('PLINTH', b):.1f} | {best('PEER', b):.1f} | {best('PLINTH', b) / best('PEER', b):.2f} |")
print("\nPer round (sentences/s, Plinth / peer): " + "; ".join(
    f"batch {b} " + " and ".join(f"{p['sentences_per_s']:.1f} / {q['sentences_per_s']:.1f}"
                                 for p, q in zip(runs[('PLINTH', b)], runs[('PEER', b)]))
    for b in sorted({b for _, b in runs})) + ".")
EOF
echo
echo "Command: THREADS=$threads ROUNDS=$rounds REPEAT=$repeat BATCHES=\"$batches\" benchmarks/minilm/run.sh"
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
     "(family $(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "model $(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1));" \
     "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg); $(git rev-parse --short HEAD)."
