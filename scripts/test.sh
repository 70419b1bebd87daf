#!/usr/bin/env bash
# Runs Plinth's tests in release (SIMD code is ~1000x slower in debug), the
# collectives' test again under `mpirun -np 2`, drives `plinth serve` in headless
# Chromium (scripts/browser-test.sh; needs `scripts/setup.sh --web`), then proves
# library import: Examples/TwoLayer depends on a snapshot of this tree *by
# version*, the way a user's package would (SwiftPM refuses unsafeFlags in such a
# dependency), builds, trains a two-layer model and runs the README's retrieval
# example.
set -euo pipefail
cd "$(dirname "$0")/.."

# One build for the tests and the plinth binary the browser test runs (`swift build`
# does not make modules testable by itself, as `swift test` does).
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing --skip-build 2>&1 | tee /tmp/plinth-test.log
grep -qE "Executed [0-9]+ tests?, with 0 failures" /tmp/plinth-test.log

echo "== collectives across two MPI ranks"
mpirun -np 2 --allow-run-as-root --oversubscribe .build/release/PlinthPackageTests.xctest \
  PlinthDistributedTests.CommunicatorTests 2>&1 | tee /tmp/plinth-mpi.log
[ "$(grep -c "testCollectivesAcrossRanks' passed" /tmp/plinth-mpi.log)" = 2 ]

echo "== the web demo in headless Chromium"
scripts/browser-test.sh .build/release/plinth

snapshot=$(mktemp -d /tmp/plinth-snapshot.XXXXXX)
trap 'rm -rf "$snapshot"' EXIT
git ls-files -co --exclude-standard | while read -r f; do
  [ -f "$f" ] && mkdir -p "$snapshot/plinth/$(dirname "$f")" && cp "$f" "$snapshot/plinth/$f"
done
git -C "$snapshot/plinth" init -q
git -C "$snapshot/plinth" add -A
git -C "$snapshot/plinth" -c user.name=plinth -c user.email=plinth@localhost commit -qm snapshot
git -C "$snapshot/plinth" tag 0.1.0

echo "== Examples/TwoLayer against Plinth 0.1.0 (by version)"
PLINTH_GIT_URL="file://$snapshot/plinth" swift build -c release \
  --package-path Examples/TwoLayer --scratch-path "$snapshot/example-build"
"$snapshot/example-build/release/TwoLayer"
echo "== the README's retrieval example"
"$snapshot/example-build/release/Retrieval"
