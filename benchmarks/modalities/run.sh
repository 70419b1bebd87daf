#!/usr/bin/env bash
# Front-end throughput: decode + preprocess a folder of images (to the CLIP 224
# input) and of audio files (to ImageBind fbank), Plinth against PIL +
# torchvision and torchaudio, on the same files at the same thread count.
#   benchmarks/modalities/run.sh          # THREADS=2, MEDIA=/tmp/plinth-media
# Needs scripts/setup.sh --python. Keep the machine idle.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-2}
media=${MEDIA:-/tmp/plinth-media}
benchmarks/modalities/prepare.sh "$media"
swift build -c release --package-path benchmarks/swift >/dev/null
for kind in images audio; do
  PLINTH_NUM_THREADS=$threads benchmarks/swift/.build/release/plinth-bench "$kind" "$media/$kind" | sed -n 's/^JSON /PLINTH /p'
  python3 benchmarks/modalities/front_ends.py "$kind" "$media/$kind" --workers "$threads" | sed -n 's/^JSON /PYTHON /p'
done | python3 benchmarks/modalities/table.py
