#!/usr/bin/env bash
# Runs Plinth's tests in release (SIMD code is ~1000x slower in debug), the
# tests that need several ranks again under `mpirun -np 2` (collectives, gradient
# buckets, two ranks against one process), drives `plinth serve` in headless
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

echo "== data-parallel tests on two MPI ranks"
mpi_tests=(PlinthDistributedTests.CommunicatorTests/testCollectivesAcrossRanks
           PlinthDistributedTests.GradientReducerTests/testBucketsAverageGradientsStartedDuringBackward
           PlinthRecipesTests.ContrastiveGatherTests/testGradientsAgainstOneProcess
           PlinthRecipesTests.DataParallelRunTests/testRanksFollowOneProcess
           PlinthRecipesTests.DataParallelRunTests/testOptionalFieldsAcrossRanks
           PlinthRecipesTests.DataParallelRunTests/testResumeWithAnotherNumberOfRanks)
# One thread per rank on this 2-core machine; a rank that fails leaves its peer waiting, hence the timeout.
PLINTH_NUM_THREADS=1 timeout 900 mpirun -np 2 --allow-run-as-root --oversubscribe -x PLINTH_NUM_THREADS \
  .build/release/PlinthPackageTests.xctest "$(IFS=,; echo "${mpi_tests[*]}")" 2>&1 | tee /tmp/plinth-mpi.log
for t in "${mpi_tests[@]}"; do
  name=${t#*.}   # XCTest prints Class.test
  [ "$(grep -c "'${name/\//.}' passed" /tmp/plinth-mpi.log)" = 2 ] || { echo "$t did not pass on both ranks"; exit 1; }
done

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
