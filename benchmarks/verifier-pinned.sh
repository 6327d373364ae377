#!/usr/bin/env bash
# The Verifier service against standalone scoring with the same resources (issue 26): standalone, ttc-bench
# scoring on core 1 with one ONNX Runtime thread; then weighted best-of-16 through the distributed stack
# (scripts/up.sh) with every service at one intra-op thread, the Generator pinned to core 0 and the Verifier
# to core 1. The service's rate is the verifier's scored tokens over its
# recorded device time (compute_usage), as in hf-verifiers.sh; the ratio is the goal (>= 85%). Everything else of the
# stack (Router, Aggregator, RabbitMQ, PostgreSQL) and the submitting client are pinned to core 0 with the Generator, so the
# Verifier has core 1 alone.
#   benchmarks/verifier-pinned.sh [PROBLEMS=200] [GENERATOR=hf-arith] [VERIFIER=hf-arith-prm]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}; generator=${2:-hf-arith}; verifier=${3:-hf-arith-prm}
work=$(mktemp -d /tmp/ttc-verifier-pinned.XXXXXX)
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
echo "machine: $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M') UTC; generator $generator, verifier $verifier, $n problems x 16"
taskset -c 1 dotnet benchmarks/Platform.Benchmarks/bin/Release/net10.0/ttc-bench.dll scoring --model "models/$generator" --scorer "models/$verifier" \
  --samples 16 --file data/arith/heldout.jsonl --limit "$n" --repeats 2 --threads 1 >"$work/bench.md"
standalone=$(grep -E '^\| [0-9]+ \|' "$work/bench.md" | awk -F'|' '{gsub(/ /, "", $7); print $7}' | sort -n | tail -1)

export Inference__IntraOpThreads=1
. benchmarks/stack.sh
# Core 0: the Generator and everything else of the stack (Router, Aggregator, RabbitMQ, PostgreSQL); core 1: the Verifier alone.
for pid in $(pgrep -f 'Platform\.(Generator|Router|Aggregator)\.dll') $(pgrep -f beam.smp) $(pgrep -x postgres); do taskset -a -p -c 0 "$pid" >/dev/null || true; done
taskset -a -p -c 1 "$(pgrep -f 'Platform\.Verifier\.dll' | head -1)" >/dev/null
taskset -c 0 dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll submit data/arith/heldout.jsonl --limit "$n" --strategy weighted-best-of-n --n 16 --seed 7 --generator "$generator" --verifier "$verifier" \
  --aggregation min --wait --json "$work/batch.json" >"$work/submit.out" 2>"$work/submit.err"
id=$(head -1 "$work/submit.out")
pgport=$(echo "$TTC_POSTGRES" | grep -oP 'Port=\K[0-9]+')
read -r scored ms < <(psql -h 127.0.0.1 -p "$pgport" -U postgres -At -F ' ' -c \
  "select sum(scored_tokens), sum(device_milliseconds) from ttc.compute_usage where batch_id = '$id' and model = '$verifier'")
python3 - "$standalone" "$scored" "$ms" "$work/batch.json" "$verifier" <<'PY'
import json, sys
standalone, scored, ms = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
r = json.load(open(sys.argv[4]))
rate = scored / (ms / 1000)
print("| verifier (one core each) | standalone scored tokens/s | Verifier service scored tokens/s | service / standalone | scored tokens | accuracy | wall s |")
print("|---|---:|---:|---:|---:|---:|---:|")
print(f"| {sys.argv[5]} | {standalone:,.0f} | {rate:,.0f} | {100 * rate / standalone:.0f}% | {scored:,} | {100 * r['accuracy']:.1f}% | {r['wall_seconds']:.1f} |")
PY
