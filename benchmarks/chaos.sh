#!/usr/bin/env bash
# Chaos suite: one fresh weighted best-of-N batch through the distributed stack (scripts/up.sh: four
# processes, RabbitMQ, PostgreSQL) per fault, then an audit of that batch (`ttc chaos audit`).
#   [TTC_CHAOS_STRATEGY=weighted-best-of-n] benchmarks/chaos.sh [--rabbitmq-nodes 3] [N=500] [SAMPLES=16] [CASE...]
# TTC_CHAOS_STRATEGY=beam-search runs searches instead: rounds a run sends to the worker that holds its
# prefix caches (decision 0023), so kill-generator / kill-verifier kill the instance holding them.
# Cases (default: all): baseline, kill-router, kill-generator, kill-verifier, kill-aggregator,
#   term-router, term-generator, term-verifier, term-aggregator, broker-restart, broker-outage-60,
#   postgres-restart, postgres-outage-60, duplicates, malformed, oversized, poison (SubmitBatch messages a careless
#   sender could write, sent mid-batch: each must end too, `ttc chaos poison` fails the case otherwise);
#   on a cluster (--rabbitmq-nodes 3: quorum queues, services connected to every node) also
#   broker-node-outage-60 (the node leading the busiest queues stopped for 60 s) and broker-node-lost
#   (that node killed with SIGKILL and not brought back while the batch runs; restarted after its audit)
# Every fault is injected once a quarter of the batch's runs have finished (the Router's faults right
# after submission, while it plans). No case gets a manual step: the script only restores what it broke
# (restarts the process or the server) and waits. Output: one line per case, a markdown table at the
# end, and the JSON audits in $TTC_CHAOS_DIR (default: a new temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=1; if [ "${1:-}" = --rabbitmq-nodes ]; then nodes=${2:?--rabbitmq-nodes needs a count}; shift 2; fi
n=${1:-500}; samples=${2:-16}; shift $(( $# >= 2 ? 2 : $# ))
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(baseline kill-router kill-generator kill-verifier kill-aggregator term-router term-generator term-verifier
  term-aggregator broker-restart broker-outage-60 postgres-restart postgres-outage-60 duplicates malformed oversized poison)
[ ${#cases[@]} -eq 17 ] && [ "$nodes" -gt 1 ] && cases+=(broker-node-outage-60 broker-node-lost)
for c in "${cases[@]}"; do
  [[ $c == broker-node-* && $nodes -lt 3 ]] && { echo "case $c needs a cluster: benchmarks/chaos.sh --rabbitmq-nodes 3 ..."; exit 2; }
done
work=${TTC_CHAOS_DIR:-$(mktemp -d /tmp/ttc-chaos.XXXXXX)}; mkdir -p "$work"
finish_limit=${TTC_CHAOS_FINISH_LIMIT:-1800}

dotnet build Platform.sln -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }

export TTC_PG_DURABLE=1  # a crash of PostgreSQL must lose no acknowledged commit
eval "$(scripts/services.sh start --rabbitmq-nodes "$nodes")"
servers=$TTC_TEST_SERVICES_DIR; up=""; declare -A restarted=(); lost_node=""
cleanup() {
  for pid in "${restarted[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [ -n "$up" ] && { kill -TERM "$up" 2>/dev/null || true; wait "$up" 2>/dev/null || true; }
  scripts/services.sh stop "$servers"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export TTC_POSTGRES=$TTC_TEST_POSTGRES TTC_RABBITMQ_HOST=$TTC_TEST_RABBITMQ_HOST TTC_RABBITMQ_PORT=$TTC_TEST_RABBITMQ_PORT
export TTC_RABBITMQ_USER=$TTC_TEST_RABBITMQ_USER TTC_RABBITMQ_PASSWORD=$TTC_TEST_RABBITMQ_PASSWORD TTC_UP_DIR=$work
export TTC_RABBITMQ_NODES=${TTC_TEST_RABBITMQ_NODES:-} TTC_RABBITMQ_QUEUE_TYPE=${TTC_TEST_RABBITMQ_QUEUE_TYPE:-Classic}
export TTC_ROUTER_PORT=${TTC_ROUTER_PORT:-5180} TTC_AGGREGATOR_PORT=${TTC_AGGREGATOR_PORT:-5181}
scripts/up.sh >"$work/up.log" 2>&1 & up=$!
for _ in $(seq 1 480); do grep -q "all four services are up" "$work/up.log" && break; kill -0 "$up" 2>/dev/null || break; sleep 0.5; done
grep -q "all four services are up" "$work/up.log" || { cat "$work/up.log"; exit 1; }
export Messaging__Transport=RabbitMq Messaging__RabbitMq__Host=$TTC_RABBITMQ_HOST Messaging__RabbitMq__Port=$TTC_RABBITMQ_PORT
export Messaging__RabbitMq__Username=$TTC_RABBITMQ_USER Messaging__RabbitMq__Password=$TTC_RABBITMQ_PASSWORD ConnectionStrings__Platform=$TTC_POSTGRES
export Messaging__RabbitMq__Nodes=$TTC_RABBITMQ_NODES Messaging__RabbitMq__QueueType=$TTC_RABBITMQ_QUEUE_TYPE
pgport=$(cat "$servers/pg/port")
sql() { psql -h 127.0.0.1 -p "$pgport" -U postgres -At -c "$1" 2>/dev/null || true; }

service_pid() { pgrep -f "Platform\.$1\.dll" | head -1; }
start_service() { # SERVICE: the same process up.sh started, with the same environment, logging to SERVICE.log
  local env=() lower; mapfile -t env < <(grep -v '^$' "$work/$1.env" || true)
  env "${env[@]}" dotnet "services/$1/bin/Release/net10.0/Platform.$1.dll" >>"$work/$1.log" 2>&1 &
  restarted[$1]=$!; lower=$(echo "$1" | tr 'A-Z' 'a-z')
  local before; before=$(grep -c "$lower ready" "$work/$1.log" || true)
  for _ in $(seq 1 240); do [ "$(grep -c "$lower ready" "$work/$1.log" || true)" -gt "$before" ] && return 0; sleep 0.5; done
  echo "  $1 not ready 120 s after restart" >&2
}
stop_service() { # SIGNAL SERVICE: the signal, then wait until the process is gone
  local pid; pid=$(service_pid "$2"); [ -z "$pid" ] && return 0
  kill -"$1" "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  echo "  $2 still running 60 s after SIG$1" >&2
}
unhandled() { cat "$work"/{Router,Generator,Verifier,Aggregator}.log 2>/dev/null | grep -c "Unhandled exception" || true; }
finished_runs() { sql "select count(*) from ttc.runs where batch_id = '$1' and status in ('completed','failed','cancelled')"; }
wait_progress() { # BATCH FRACTION
  local want; want=$(awk -v n="$n" -v f="$2" 'BEGIN{printf "%d", n*f}')
  for _ in $(seq 1 2400); do [ "$(finished_runs "$1")" -ge "$want" ] 2>/dev/null && return 0; sleep 0.25; done
}
wait_done() { # BATCH: until the batch is completed (or the limit passes)
  local deadline=$(( $(date +%s) + finish_limit ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(sql "select status from ttc.batches where id = '$1'")" = completed ] && return 0; sleep 1
  done
  return 1
}

inject() { # CASE BATCH
  case $1 in
    baseline) ;;
    kill-*|term-*)
      local signal=KILL; [[ $1 == term-* ]] && signal=TERM
      local service; service=$(echo "${1#*-}" | sed 's/./\U&/')
      stop_service "$signal" "$service"; sleep 2; start_service "$service" ;;
    broker-restart) scripts/services.sh rabbit-stop "$servers" >&2; scripts/services.sh rabbit-start "$servers" >&2 ;;
    broker-outage-60) scripts/services.sh rabbit-stop "$servers" >&2; sleep 60; scripts/services.sh rabbit-start "$servers" >&2 ;;
    broker-node-outage-60)
      local node; node=$(scripts/services.sh rabbit-busiest "$servers"); echo "  stopping rabbitmq node $node for 60 s" >&2
      scripts/services.sh rabbit-stop "$servers" "$node" >&2; sleep 60; scripts/services.sh rabbit-start "$servers" "$node" >&2 ;;
    broker-node-lost)
      lost_node=$(scripts/services.sh rabbit-busiest "$servers"); echo "  killing rabbitmq node $lost_node for good" >&2
      scripts/services.sh rabbit-kill "$servers" "$lost_node" >&2 ;;
    postgres-restart) scripts/services.sh pg-stop "$servers" >&2; scripts/services.sh pg-start "$servers" >&2 ;;
    postgres-outage-60) scripts/services.sh pg-stop "$servers" >&2; sleep 60; scripts/services.sh pg-start "$servers" >&2 ;;
    duplicates) ttc chaos duplicate "$2" >&2 ;;
    malformed) ttc chaos malformed --count 20 >&2 ;;
    oversized) ttc chaos oversized --count 2 >&2 ;;
    poison) ttc chaos poison --count 12 >&2 || echo "poison: not every message ended" >&2 ;;
    *) echo "unknown case $1" >&2; exit 2 ;;
  esac
}

seed=100
for case in "${cases[@]}"; do
  seed=$((seed + 1))
  crashed_before=$(unhandled)
  id=$(ttc submit data/arith/heldout.jsonl --limit "$n" --strategy "${TTC_CHAOS_STRATEGY:-weighted-best-of-n}" --n "$samples" --seed "$seed" 2>/dev/null)
  start=$(date +%s.%N)
  if [[ $case == *-router ]]; then sleep 0.5; else wait_progress "$id" 0.25; fi
  at=$(finished_runs "$id")
  inject "$case" "$id"
  done_ok=yes; wait_done "$id" || done_ok=no
  elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  # Every service still up (a crash on a bad message would show here) and no unhandled exception logged.
  alive=yes; for s in Router Generator Verifier Aggregator; do [ -n "$(service_pid "$s")" ] || alive="no ($s)"; done
  crashed_after=$(unhandled)
  ttc chaos audit "$id" >"$work/$case.json"
  # A node lost for good stays away for its whole batch; the next case starts on the whole cluster again.
  if [ -n "$lost_node" ]; then scripts/services.sh rabbit-start "$servers" "$lost_node" >&2; lost_node=""; fi
  python3 - "$work/$case.json" "$case" "$at" "$elapsed" "$done_ok" "$alive" "$((crashed_after - crashed_before))" >>"$work/results.jsonl" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a.update(case=sys.argv[2], fault_after_finished=int(sys.argv[3] or 0), wall_seconds=float(sys.argv[4]),
         finished=sys.argv[5] == "yes", services_alive=sys.argv[6], unhandled_exceptions=int(sys.argv[7]))
print(json.dumps(a))
PY
  tail -1 "$work/results.jsonl" | python3 -c "import json,sys; a=json.loads(sys.stdin.read()); print(f\"{a['case']:20} completed {a['completed']}/{a['problems']}  lost {a['lost']}  duplicated {a['duplicated_candidates']}  counted twice {a['compute_counted_twice']}  {a['wall_seconds']} s  services alive: {a['services_alive']}\")"
done

echo
python3 - "$work/results.jsonl" "$n" "$samples" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{len(rows)} cases, {sys.argv[2]} problems each, weighted best-of-{sys.argv[3]}")
print("| fault | results in = problems out | lost runs | duplicated candidates | compute counted twice | time to finish (s) | manual step | services after |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    whole = f"{r['completed']} / {r['problems']}" + (" ✓" if r['completed'] == r['problems'] else " ✗")
    reasons = "; ".join(f"{k} ×{v}" for k, v in r['failure_reasons'].items())
    print(f"| {r['case']} | {whole} | {r['lost']}{' (' + reasons + ')' if reasons else ''} | {r['duplicated_candidates']} | "
          f"{'yes' if r['compute_counted_twice'] else 'no'} | {r['wall_seconds']:.0f}{'' if r['finished'] else ' (not finished)'} | none | "
          f"{'all four up' if r['services_alive'] == 'yes' else r['services_alive']}{', ' + str(r['unhandled_exceptions']) + ' unhandled exceptions' if r['unhandled_exceptions'] else ''} |")
PY
echo "audits: $work"
