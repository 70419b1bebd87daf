#!/usr/bin/env bash
# Plinth against PyTorch CPU (and numpy's BLAS for sgemm) on this machine, in
# one run, at the same thread count. Prints a table with ratios; copy it into
# benchmarks/RESULTS.md with the command line.
#
#   benchmarks/run.sh                 # THREADS=2 ROUNDS=2 by default
#
# Needs scripts/setup.sh --python (torch from /opt/wheels). Keep the machine idle.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
swift build -c release --package-path benchmarks/swift >/dev/null
bench=benchmarks/swift/.build/release/plinth-bench
log=$(mktemp /tmp/plinth-bench.XXXXXX)

for _ in $(seq "$rounds"); do    # peers interleaved, so drift in machine load hits both
  for blocks in 1 6; do
    PLINTH_NUM_THREADS=$threads $bench block --blocks "$blocks" | sed -n 's/^JSON /PLINTH /p' >> "$log"
    python3 benchmarks/torch/block_bench.py --threads "$threads" --blocks "$blocks" | sed -n 's/^JSON /TORCH /p' >> "$log"
  done
done
PLINTH_NUM_THREADS=$threads $bench gemm benchmarks/blas/shapes.txt | sed 's/^/GEMM\t/' >> "$log"
python3 benchmarks/blas/py_gemm.py numpy --threads "$threads" --shapes benchmarks/blas/shapes.txt 2>/dev/null \
  | sed 's/^/GEMM\t/' >> "$log"
python3 benchmarks/compare.py "$log"
