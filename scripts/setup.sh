#!/usr/bin/env bash
# Installs every system package Plinth needs on a fresh Debian machine (as root).
# Safe to run twice: apt-get and pip skip what is already installed.
#   scripts/setup.sh            system libraries for building and testing
#   scripts/setup.sh --python   also the pinned Python reference stack used by
#                               the fixture generators and benchmarks
set -euo pipefail

packages=(
  pkg-config
  libopenblas-dev   # CBLAS: cblas_sgemm, openblas_set_num_threads
  libpng-dev        # CPNG
  libjpeg-dev       # CJPEG (libjpeg-turbo)
  libsndfile1-dev   # CSndfile: WAV, FLAC, OGG/Vorbis
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--python" ]; then
  # CPU torch ships as a wheel on these machines; everything else is pinned from PyPI.
  python3 -m pip install -q --find-links /opt/wheels torch==2.13.0+cpu
  python3 -m pip install -q numpy==2.4.6 safetensors==0.7.0
fi
