#!/usr/bin/env bash
# The test command: brings up what the tests need, runs every test, and stops what it started.
#
# Servers, in order of preference:
#   1. TTC_TEST_POSTGRES and TTC_TEST_RABBITMQ_HOST (+ _PORT, _USER, _PASSWORD) already set: used as they are.
#   2. A reachable Docker engine: the test fixture starts Testcontainers.
#   3. Otherwise throwaway local servers from Debian packages (scripts/services.sh), stopped on exit.
# Extra arguments go to `dotnet test` (e.g. --filter Category=Unit).
set -euo pipefail
cd "$(dirname "$0")/.."

started=""
cleanup() { if [ -n "$started" ]; then scripts/services.sh stop "$started"; fi; }
trap cleanup EXIT

if [ -z "${TTC_TEST_POSTGRES:-}" ] || [ -z "${TTC_TEST_RABBITMQ_HOST:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "[test] Docker engine reachable: integration tests use Testcontainers"
  else
    eval "$(scripts/services.sh start)"
    started=$TTC_TEST_SERVICES_DIR
  fi
fi

dotnet build Platform.sln -c Release 2>&1 | tail -3
dotnet test Platform.sln -c Release --no-build --logger "console;verbosity=normal" "$@"
