#!/usr/bin/env bash
# Load test of `plinth serve`'s text search: starts the server on a free port, warms it
# up, then runs wrk with scripts/loadtest-search.lua (JSON text queries, k 8, pictures).
# Prints wrk's report and a summary line; fails if any request failed or was not 2xx.
# Needs wrk (scripts/setup.sh --web).
#   scripts/loadtest.sh [PLINTH] [SECONDS] [CONNECTIONS]   (defaults: .build/release/plinth 20 8)
set -euo pipefail
cd "$(dirname "$0")/.."
plinth="${1:-.build/release/plinth}"
seconds="${2:-20}"
connections="${3:-8}"

fail() { echo "FAIL $*" >&2; exit 1; }

command -v wrk >/dev/null || fail "wrk is missing: run scripts/setup.sh --web first"
[ -x "$plinth" ] || fail "$plinth is not an executable (build it: swift build -c release)"

. scripts/start-server.sh
start_server "$plinth"

# Warm-up: the first searches pay for lazy set-up and cold caches.
wrk -t1 -c1 -d2s -s scripts/loadtest-search.lua "$url/api/search" >/dev/null

threads=$(( connections < 2 ? connections : 2 ))   # wrk needs a connection per thread
report=$(wrk -t"$threads" -c"$connections" -d"$seconds"s --latency -s scripts/loadtest-search.lua "$url/api/search")
echo "$report"

summary=$(grep '^text search:' <<<"$report") || fail "wrk printed no summary"
errors=$(sed -E 's/.*, ([0-9]+) errors$/\1/' <<<"$summary")
[ "$errors" = 0 ] || fail "$summary"
echo "PASS load test"
