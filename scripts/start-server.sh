# Sourced by scripts/browser-test.sh and scripts/loadtest.sh (which define `fail`):
# `start_server PLINTH` starts `PLINTH serve` on a free port in the background,
# waits until /api/health answers (60 s at most), sets `url` and `server_log`,
# and stops the server when the calling script exits. Needs curl.
start_server() {
  server_log=$(mktemp /tmp/plinth-serve.XXXXXX.log)
  "$1" serve --port 0 >"$server_log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$server_log"' EXIT
  url=""
  for _ in $(seq 60); do
    url=$(sed -n 's/^serving \(http:[^ ]*\)$/\1/p' "$server_log")
    [ -n "$url" ] && curl -fsS -o /dev/null "$url/api/health" 2>/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$server_log" >&2; fail "plinth serve exited before answering"; }
    sleep 1
  done
  cat "$server_log" >&2
  fail "plinth serve did not answer /api/health within 60 s"
}
