#!/usr/bin/env bash
# Builds kernel_check with the PlinthKernels sources the way SwiftPM's release build
# compiles them (-O2 -fPIC -fno-omit-frame-pointer, no -march) and runs it: first the
# accuracy checks with the kernel variant capped at baseline and at AVX2 (PK_FORCE_ISA
# is a define only this test uses), showing their tables only on failure, then the
# full check and the speed table for this CPU's own variant.
#   benchmarks/kernels/run.sh [--no-bench] [--exhaustive STRIDE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../../Sources/PlinthKernels"
cc="${CC:-/opt/swift/usr/bin/clang}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

build() {  # build NAME [flags...]
  local name="$1"; shift
  "$cc" -O2 -fPIC -fno-omit-frame-pointer -Wall -Wextra "$@" -I"$src/include" -I"$src" \
    "$here/kernel_check.c" "$src"/*.c -lm -o "$out/$name"
}

status=0
for isa in 0 1; do
  build "isa$isa" -DPK_FORCE_ISA=$isa
  if "$out/isa$isa" --no-bench "$@" > "$out/isa$isa.log"; then
    echo "accuracy ok: $(tail -1 "$out/isa$isa.log")"
  else
    cat "$out/isa$isa.log"
    status=1
  fi
done
build native
"$out/native" "$@" || status=1
exit $status
