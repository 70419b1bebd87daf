#!/usr/bin/env bash
# Data parallel on this machine (issue 9), two parts, in one run:
#  1. Collectives: MPI all-reduce and all-gather through Plinth's Communicator
#     (`mpirun -np 2 plinth-bench collectives`) against torch.distributed's gloo
#     backend (benchmarks/distributed/peer.py), 4 KiB to 64 MiB, one thread per rank.
#  2. The default recipe (recipes/fashion-mnist.yaml, batch 256): STEPS steps on two
#     ranks (128 rows each, one thread each) against two independent one-thread
#     processes at batch 128 side by side (a rank's compute under the same sharing of
#     the cores, without communication), one such process alone, and one process with
#     two threads at batch 256, from each run's metrics.jsonl (medians over the steps
#     after the first 5 of step_s, comm_s and allreduce_wait_s).
# Prints markdown tables; copy them into benchmarks/RESULTS.md with the command line.
#
#   benchmarks/distributed/run.sh     # STEPS=40 by default; needs scripts/setup.sh --python
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${STEPS:-40}
mpi=(mpirun -np 2 --allow-run-as-root --oversubscribe -x PLINTH_NUM_THREADS=1)
# Both binaries from the benchmark package's own build, so the tests' build stays as it is.
swift build -c release --package-path benchmarks/swift >/dev/null
swift build -c release --package-path benchmarks/swift --product plinth >/dev/null
bench=benchmarks/swift/.build/release/plinth-bench plinth=benchmarks/swift/.build/release/plinth
work=$(mktemp -d /tmp/plinth-distributed.XXXXXX)
trap 'rm -rf "$work"' EXIT

"${mpi[@]}" $bench collectives | sed -n 's/^JSON //p' > "$work/plinth.jsonl"
python3 benchmarks/distributed/peer.py --ranks 2 | sed -n 's/^JSON //p' > "$work/torch.jsonl"
python3 - "$work/plinth.jsonl" "$work/torch.jsonl" <<'PY'
import json, sys
ours, peer = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
print("| buffer | Plinth all-reduce | bus GB/s | gloo all-reduce | bus GB/s | ratio (>1: Plinth faster) | Plinth all-gather | gloo all-gather | ratio |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for o, p in zip(ours, peer):
    assert o["bytes"] == p["bytes"]
    b = o["bytes"]
    size = f"{b / 2**20:.1f} MiB" if b >= 2**20 else f"{b // 1024} KiB"
    print(f"| {size} | {o['allreduce_us']:.0f} µs | {o['allreduce_busbw_gbs']:.2f} | {p['allreduce_us']:.0f} µs | "
          f"{p['allreduce_busbw_gbs']:.2f} | **{p['allreduce_us'] / o['allreduce_us']:.2f}** | "
          f"{o['allgather_us']:.0f} µs | {p['allgather_us']:.0f} µs | **{p['allgather_us'] / o['allgather_us']:.2f}** |")
PY

sed 's/^  batch_size: 256$/  batch_size: 128/' recipes/fashion-mnist.yaml > "$work/fashion-mnist-128.yaml"
grep -q "batch_size: 128" "$work/fashion-mnist-128.yaml"
train() { $plinth train "$@" --steps "$steps" --no-eval >/dev/null 2>&1; }
"${mpi[@]}" $plinth train recipes/fashion-mnist.yaml --steps "$steps" --no-eval -o "$work/two-ranks" >/dev/null 2>&1
PLINTH_NUM_THREADS=1 train "$work/fashion-mnist-128.yaml" -o "$work/side-a" &
PLINTH_NUM_THREADS=1 train "$work/fashion-mnist-128.yaml" -o "$work/side-b"
wait
PLINTH_NUM_THREADS=1 train "$work/fashion-mnist-128.yaml" -o "$work/alone"
PLINTH_NUM_THREADS=2 train recipes/fashion-mnist.yaml -o "$work/threads"
python3 - "$work" <<'PY'
import json, statistics, sys
def run(name):
    rows = [json.loads(l) for l in open(f"{sys.argv[1]}/{name}/metrics.jsonl")][5:]
    return {k: statistics.median(r[k] for r in rows) for k in rows[0] if k in ("step_s", "comm_s", "allreduce_wait_s")}
two, side, alone, threads = (run(n) for n in ("two-ranks", "side-a", "alone", "threads"))
print()
print("| run (fashion-mnist) | step | in collectives (rank 0) | of which all-reduce wait after backward | images/s |")
print("|---|---:|---:|---:|---:|")
print(f"| 2 ranks x 1 thread, 128 rows each (global batch 256) | {two['step_s'] * 1e3:.0f} ms | {two['comm_s'] * 1e3:.1f} ms | "
      f"{two['allreduce_wait_s'] * 1e3:.2f} ms | {256 / two['step_s']:.0f} |")
print(f"| 2 independent processes x 1 thread, batch 128, side by side | {side['step_s'] * 1e3:.0f} ms | – | – | {256 / side['step_s']:.0f} (both) |")
print(f"| 1 process x 1 thread, batch 128, alone | {alone['step_s'] * 1e3:.0f} ms | – | – | {128 / alone['step_s']:.0f} |")
print(f"| 1 process x 2 threads, batch 256 | {threads['step_s'] * 1e3:.0f} ms | – | – | {256 / threads['step_s']:.0f} |")
print(f"\ncommunication per step (2 ranks minus the side-by-side compute): {(two['step_s'] - side['step_s']) * 1e3:.1f} ms "
      f"({(two['step_s'] - side['step_s']) / two['step_s'] * 100:.1f}% of the step)")
PY
