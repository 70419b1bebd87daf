#!/usr/bin/env bash
# Tests `plinth serve` as a person would: starts the server on a free port and drives
# its page in headless Chromium (scripts/browser_test.py), then stops the server.
# Run `scripts/setup.sh --web` first: it installs chromium, chromium-driver and the
# pinned selenium; this script installs nothing.
#   scripts/browser-test.sh [PLINTH] [SCREENSHOT]
#     PLINTH      the plinth binary (default .build/release/plinth)
#     SCREENSHOT  where the page is photographed (default /tmp/plinth-browser/screenshot.png)
set -euo pipefail
cd "$(dirname "$0")/.."
plinth="${1:-.build/release/plinth}"
screenshot="${2:-/tmp/plinth-browser/screenshot.png}"

fail() { echo "FAIL $*" >&2; exit 1; }

for tool in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$tool" ] || fail "$tool is missing: run scripts/setup.sh --web first"
done
python3 -c "import selenium" 2>/dev/null || fail "python3 cannot import selenium: run scripts/setup.sh --web first"
[ -x "$plinth" ] || fail "$plinth is not an executable (build it: swift build -c release)"

. scripts/start-server.sh
start_server "$plinth"
echo "PASS server answers at $url"

if python3 scripts/browser_test.py --url "$url" --screenshot "$screenshot"; then
  echo "PASS browser test"
else
  echo "--- server log" >&2
  cat "$server_log" >&2
  fail "browser test"
fi
