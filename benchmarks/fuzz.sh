#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API and the SubmitBatch contract at full size: the FuzzTests
# integration test (CsCheck) with CASES generated HTTP bodies and CASES/3 bus messages against the four
# services on RabbitMQ and PostgreSQL (CI runs 300). A failure prints CsCheck's seed to reproduce it
# (CsCheck_Seed=SEED) and the shrunk case; each one found becomes a table case.
#   benchmarks/fuzz.sh [CASES=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-10000}
echo "fuzz: $cases HTTP cases and $((cases / 3)) bus messages; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M') UTC"
start=$(date +%s)
TTC_FUZZ_CASES=$cases ./scripts/test.sh --filter "FullyQualifiedName~FuzzTests" | tail -1
echo "took $(( $(date +%s) - start )) s (log: TestResults/logs/Platform.IntegrationTests.log)"
grep -E "^\s+(Passed|Failed) Platform.IntegrationTests.FuzzTests" TestResults/logs/Platform.IntegrationTests.log || true
grep -o "HTTP: [^<]*" TestResults/logs/Platform.IntegrationTests.trx | head -1 || true
