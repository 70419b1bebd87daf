#!/usr/bin/env bash
# Builds the front-end benchmark's folders from real data in Debian packages:
#   MEDIA/images: 150 Tux Paint stamps (PNG) and JPEG copies of them (PIL, quality 90)
#   MEDIA/audio:  150 Asterisk speech prompts (8 kHz WAV) and 50 Tux Paint sounds (OGG/Vorbis)
# Idempotent; MEDIA defaults to /tmp/plinth-media.
set -euo pipefail
media="${1:-/tmp/plinth-media}"
for p in tuxpaint-stamps-default asterisk-core-sounds-en-wav; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p"; }
done
[ -f "$media/.ready" ] && exit 0
rm -rf "$media" && mkdir -p "$media/images" "$media/audio"
find -L /usr/share/tuxpaint/stamps -name '*.png' | sort | head -n 150 | while read -r f; do
  cp "$f" "$media/images/$(basename "$(dirname "$f")")_$(basename "$f")"
done
python3 - "$media/images" <<'PY'
import os, sys
from PIL import Image
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    with Image.open(os.path.join(folder, name)) as im:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        flat.save(os.path.join(folder, name[:-4] + ".jpg"), quality=90)
PY
find -L /usr/share/asterisk/sounds/en_US_f_Allison -name '*.wav' | sort | head -n 150 | while read -r f; do
  cp "$f" "$media/audio/$(echo "${f#/usr/share/asterisk/sounds/en_US_f_Allison/}" | tr / _)"
done
find -L /usr/share/tuxpaint/stamps -name '*.ogg' ! -name '*_desc*' | sort | head -n 50 | while read -r f; do
  cp "$f" "$media/audio/$(basename "$f")"
done
touch "$media/.ready"
