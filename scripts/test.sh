#!/usr/bin/env bash
# The test command: brings up what the tests need, runs every test, and stops what it started.
#
# Servers, in order of preference:
#   1. TTC_TEST_POSTGRES and TTC_TEST_RABBITMQ_HOST (+ _PORT, _USER, _PASSWORD) already set: used as they are.
#   2. A reachable Docker engine: the test fixture starts Testcontainers.
#   3. Otherwise throwaway local servers from Debian packages (scripts/services.sh), stopped on exit.
# Extra arguments go to each `dotnet test` (e.g. --filter Category=Unit), except a first
# `--rabbitmq-nodes N`: the local servers are then a RabbitMQ cluster of N nodes with quorum queues,
# and every integration test runs on it.
#
# Output: one progress line per test project, every failed test with its message, stack and logs, and
# a closing line "N passed, N failed" (", N skipped" when any were). Each project's whole output,
# passing tests' logs included, goes to TestResults/logs/PROJECT.log; TRX files beside it.
# The projects run one after another: the TorchSharp-based training tests are kept from running
# beside the others (decision 0017).
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=1
if [ "${1:-}" = --rabbitmq-nodes ]; then nodes=${2:?--rabbitmq-nodes needs a count}; shift 2; fi
started=""
cleanup() { if [ -n "$started" ]; then scripts/services.sh stop "$started"; fi; }
trap cleanup EXIT

if [ -z "${TTC_TEST_POSTGRES:-}" ] || [ -z "${TTC_TEST_RABBITMQ_HOST:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "[test] Docker engine reachable: integration tests use Testcontainers"
  else
    eval "$(scripts/services.sh start --rabbitmq-nodes "$nodes")"
    started=$TTC_TEST_SERVICES_DIR
  fi
fi

logs=TestResults/logs
rm -rf "$logs"
mkdir -p "$logs"

echo "[test] building (Release)"
if ! dotnet build Platform.sln -c Release -nologo -v q > "$logs/build.log" 2>&1; then
  grep -E "error|Error" "$logs/build.log" | head -50
  echo "[test] build failed: $logs/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# Counts of one TRX file: total passed failed (not-executed tests count as skipped).
counts() {
  local counters
  counters=$(grep -o '<Counters [^>]*>' "$1" | head -1)
  attr() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  echo "$(attr total) $(attr passed) $(attr failed)"
}

# The block of each failed test in a console log (from its "Failed" line to the next test's line).
failures() {
  awk '/^  Failed [^!]/ { show = 1 } /^  Passed / || /^  Skipped / || /^Test Run/ || /^Total tests/ { show = 0 } show' "$1"
}

passed=0 failed=0 skipped=0 broken=0
for project in tests/Platform.UnitTests tests/Platform.Inference.Tests tests/Platform.Training.Tests tests/Platform.IntegrationTests; do
  name=$(basename "$project")
  log="$logs/$name.log"
  start=$(date +%s)
  echo "[test] $name ..."
  set +e
  dotnet test "$project" -c Release --no-build --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" \
    --results-directory "$logs" "$@" > "$log" 2>&1
  rc=$?
  set -e
  trx="$logs/$name.trx"
  if [ -f "$trx" ]; then
    read -r total ok bad <<< "$(counts "$trx")"
  else
    total=0 ok=0 bad=0
  fi
  skip=$(( total - ok - bad ))
  passed=$(( passed + ok )) failed=$(( failed + bad )) skipped=$(( skipped + skip ))
  failures "$log"
  if grep -q "Test Run Aborted" "$log" || { [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
    broken=$(( broken + 1 ))
    echo "[test] $name: the test run did not finish (exit $rc); the end of its log:"
    tail -40 "$log"
  fi
  echo "[test] $name: $ok passed, $bad failed, $skip skipped in $(( $(date +%s) - start )) s (log: $log)"
done

# A project whose test host died counts as one failure more, so the closing line never reads green.
failed=$(( failed + broken ))

# The servers stop before the summary, so that the closing line is the last one printed.
cleanup
started=""
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
