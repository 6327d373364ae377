#!/usr/bin/env bash
# Rounds routed to the worker that holds their prefix (issue 29, decision 0023): one search batch through
# the distributed stack (scripts/up.sh plus a second Generator and a second Verifier, over RabbitMQ and
# PostgreSQL), once with affinity (the default) and once without (Messaging__Affinity__Enabled=false), on
# the same problems and seed. Prints, for each, the prompt and scored tokens read from the workers' prefix
# caches against those computed, FLOPs and wall time per problem, and accuracy.
#   benchmarks/affinity.sh [PROBLEMS=100] [STRATEGY=beam-search] [N=16]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}; strategy=${2:-beam-search}; samples=${3:-16}
work=$(mktemp -d /tmp/ttc-affinity.XXXXXX)
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }

eval "$(scripts/services.sh start)"
pids=()
stop_stack() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_stack; scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"' EXIT
export TTC_POSTGRES=$TTC_TEST_POSTGRES TTC_RABBITMQ_HOST=$TTC_TEST_RABBITMQ_HOST TTC_RABBITMQ_PORT=$TTC_TEST_RABBITMQ_PORT
export TTC_RABBITMQ_USER=$TTC_TEST_RABBITMQ_USER TTC_RABBITMQ_PASSWORD=$TTC_TEST_RABBITMQ_PASSWORD
export Messaging__Transport=RabbitMq Messaging__RabbitMq__Host=$TTC_RABBITMQ_HOST Messaging__RabbitMq__Port=$TTC_RABBITMQ_PORT
export Messaging__RabbitMq__Username=$TTC_RABBITMQ_USER Messaging__RabbitMq__Password=$TTC_RABBITMQ_PASSWORD ConnectionStrings__Platform=$TTC_POSTGRES

for mode in on off; do
  export Messaging__Affinity__Enabled=$([ "$mode" = on ] && echo true || echo false)
  export TTC_UP_DIR=$work/$mode; mkdir -p "$TTC_UP_DIR"
  scripts/up.sh >"$TTC_UP_DIR/up.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 240); do grep -q "all four services are up" "$TTC_UP_DIR/up.log" && break; sleep 0.5; done
  grep -q "all four services are up" "$TTC_UP_DIR/up.log" || { cat "$TTC_UP_DIR/up.log"; exit 1; }
  for service in Generator Verifier; do # the second of each
    dotnet "services/$service/bin/Release/net10.0/Platform.$service.dll" >"$TTC_UP_DIR/$service-2.log" 2>&1 & pids+=($!)
    lower=$(echo "$service" | tr 'A-Z' 'a-z')
    for _ in $(seq 1 240); do grep -q "$lower ready" "$TTC_UP_DIR/$service-2.log" && break; sleep 0.5; done
  done
  echo "affinity $mode: ttc submit --limit $n --strategy $strategy --n $samples (two Generators, two Verifiers)"
  ttc submit data/arith/heldout.jsonl --limit "$n" --strategy "$strategy" --n "$samples" --seed 7 --wait --json "$work/$mode.json" >/dev/null 2>&1
  stop_stack
done

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
print("| affinity | accuracy | prompt tokens computed / from caches | scored tokens computed / from the cache | FLOPs / problem | wall s |")
print("|---|---|---|---|---|---|")
for mode in ("on", "off"):
    r = json.load(open(os.path.join(work, f"{mode}.json")))
    p = r["problems"]
    scored, cached = r["scored_tokens"], r.get("cached_scored_tokens", 0)
    print(f"| {mode} | {100*r['accuracy']:.1f}% | {r['prompt_tokens']:,} / {r['cached_prompt_tokens']:,} | {scored - cached:,} / {cached:,} | {r['flops']/p:.2e} | {r['wall_seconds']:.0f} |")
PY
for mode in on off; do # each worker's own count at its stop (PrefixCacheReport): tokens looked up in its tree and found there
  echo "affinity $mode, the workers' prefix caches:"
  for log in "$work/$mode"/{Generator,Generator-2,Verifier,Verifier-2}.log; do
    echo "  $(basename "$log" .log): $(grep -o 'prefix cache ([a-z]*): .*' "$log" | tail -1)"
  done
done
echo "runs: $work"
