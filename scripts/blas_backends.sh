#!/usr/bin/env bash
# Installs the BLAS backends compared by benchmarks/blas/run.sh and prints the
# shared-library path of each one (KEY=PATH lines, parseable by `eval`).
# Safe to run twice: apt-get and pip skip what is already there.
#
#   Debian : OpenBLAS 0.3.21 (libopenblas-dev), BLIS (libblis4-pthread),
#            oneDNN (libdnnl-dev)
#   PyPI   : scipy-openblas32 (OpenBLAS 0.3.x, symbols prefixed scipy_),
#            mkl (+ intel-openmp, tbb) -- into a private prefix, never into
#            the system site-packages.
#
#   scripts/blas_backends.sh              install (if needed) and print paths
#   scripts/blas_backends.sh --print-only print paths of what is installed
#   PLINTH_BLAS_PREFIX=/somewhere scripts/blas_backends.sh
#
# Installing BLIS registers it as a candidate for Debian's libblas.so.3
# alternative. This script records the selection before installing and puts
# it back afterwards, so the system BLAS (and anything linked to
# libblas.so.3) is unchanged.
set -euo pipefail

PREFIX="${PLINTH_BLAS_PREFIX:-/opt/plinth-blas}"
MULTIARCH="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
LIBDIR="/usr/lib/$MULTIARCH"
PY="${PYTHON:-python3}"

apt_packages=(
  libopenblas-dev      # OpenBLAS 0.3.21, pthread build
  libblis4-pthread     # BLIS 0.9, pthread build (cblas_sgemm inside libblis.so.4)
  libblis-pthread-dev
  libdnnl2             # oneDNN 2.x: dnnl_sgemm
  libdnnl-dev
  binutils             # nm, used to check the exported symbols
  gcc libc6-dev        # cc for sgemm_bench.c
)
pip_packages=(
  scipy-openblas32==0.3.34.481.3
  mkl==2026.2.0
)

alt_name="libblas.so.3-$MULTIARCH"

if [ "${1:-}" != "--print-only" ]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    before="$(update-alternatives --query "$alt_name" 2>/dev/null | awk '/^Value:/{print $2}')"
    before_mode="$(update-alternatives --query "$alt_name" 2>/dev/null | awk '/^Status:/{print $2}')"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    after="$(update-alternatives --query "$alt_name" 2>/dev/null | awk '/^Value:/{print $2}')"
    if [ -n "$before" ] && [ "$before" != "$after" ]; then
      echo "restoring $alt_name -> $before (install had switched it to $after)" >&2
      if [ "$before_mode" = "auto" ]; then
        update-alternatives --auto "$alt_name" >&2
        # auto may still prefer the new one if its priority is higher
        now="$(update-alternatives --query "$alt_name" | awk '/^Value:/{print $2}')"
        [ "$now" = "$before" ] || update-alternatives --set "$alt_name" "$before" >&2
      else
        update-alternatives --set "$alt_name" "$before" >&2
      fi
    fi
  fi

  # PyPI wheels into a private prefix. --prefix (not --target) because the mkl
  # wheel ships its .so files as data files under <prefix>/lib.
  need_pip=0
  for spec in "${pip_packages[@]}"; do
    name="${spec%%==*}"; ver="${spec##*==}"
    have="$(PYTHONPATH= "$PY" - "$PREFIX" "$name" <<'PYEOF' 2>/dev/null || true
import sys, glob, os
prefix, name = sys.argv[1], sys.argv[2].replace("-", "_")
for d in glob.glob(os.path.join(prefix, "lib", "python*", "site-packages", name + "-*.dist-info")):
    print(os.path.basename(d)[len(name) + 1:-len(".dist-info")])
PYEOF
)"
    [ "$have" = "$ver" ] || need_pip=1
  done
  if [ $need_pip = 1 ]; then
    "$PY" -m pip install -q --disable-pip-version-check --no-warn-script-location \
      --ignore-installed --prefix "$PREFIX" "${pip_packages[@]}" >&2
  fi
fi

# ---- print the library paths -------------------------------------------------
first() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; echo ""; }
openblas="$(first "$LIBDIR/openblas-pthread/libopenblas.so.0")"
blis="$(first "$LIBDIR/blis-pthread/libblis.so.4" "$LIBDIR"/libblis.so.4 "$LIBDIR"/blis-*/libblis.so.4)"
dnnl="$(first "$LIBDIR"/libdnnl.so.[0-9]* "$LIBDIR"/libdnnl.so)"
scipy_openblas="$(first "$PREFIX"/lib/python*/site-packages/scipy_openblas32/lib/libscipy_openblas*.so)"
mkl_rt="$(first "$PREFIX"/lib/libmkl_rt.so.[0-9]* "$PREFIX"/lib/libmkl_rt.so)"

echo "OPENBLAS_LIB=$openblas"
echo "BLIS_LIB=$blis"
echo "DNNL_LIB=$dnnl"
echo "SCIPY_OPENBLAS_LIB=$scipy_openblas"
echo "MKL_LIB=$mkl_rt"
echo "MKL_LIBDIR=$PREFIX/lib"
