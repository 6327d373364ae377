#!/usr/bin/env bash
# Distributed mode on one machine: RabbitMQ + PostgreSQL (local throwaway servers unless
# TTC_POSTGRES / TTC_RABBITMQ_* are set) and the four services as separate processes.
#   ./scripts/up.sh            start everything, print where it listens, run until Ctrl-C
#   ./scripts/up.sh --check    start everything, wait until every service is ready, stop, exit 0
#   ./scripts/up.sh --rabbitmq-nodes 3   a three-node RabbitMQ cluster instead of one broker: the services
#                              declare quorum queues and connect to every node (combines with --check)
# A broker or cluster of your own: TTC_RABBITMQ_HOST/_PORT/_USER/_PASSWORD, TTC_RABBITMQ_NODES (the other
# nodes, host:port comma-separated) and TTC_RABBITMQ_QUEUE_TYPE (Classic or Quorum).
# Ports: TTC_ROUTER_PORT (default 5080), TTC_AGGREGATOR_PORT (default 5081); Generator and Verifier take free ones.
# The schema is migrated first, as its own step, with the owner's connection; Router and Aggregator then
# log in as users of their own least-privilege roles (passwords generated here, kept in $TTC_UP_DIR only).
# Logs: $TTC_UP_DIR (default: a new temporary directory), with each service's environment in $TTC_UP_DIR/SERVICE.env.
set -euo pipefail
cd "$(dirname "$0")/.."
check=""; nodes=1
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1; shift ;;
    --rabbitmq-nodes) nodes=${2:?--rabbitmq-nodes needs a count}; shift 2 ;;
    *) echo "unknown option $1 (usage: $0 [--check] [--rabbitmq-nodes N])"; exit 2 ;;
  esac
done

logs=${TTC_UP_DIR:-$(mktemp -d /tmp/ttc-up.XXXXXX)}
pids=(); servers=""
shutdown() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$servers" ]; then scripts/services.sh stop "$servers"; fi
}
trap shutdown EXIT
trap 'exit 130' INT TERM

router_port=${TTC_ROUTER_PORT:-5080}; aggregator_port=${TTC_AGGREGATOR_PORT:-5081}
for pair in "Router:$router_port:TTC_ROUTER_PORT" "Aggregator:$aggregator_port:TTC_AGGREGATOR_PORT"; do
  IFS=: read -r name port variable <<<"$pair"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port for the $name is taken on 127.0.0.1; choose another with $variable=PORT"; exit 1
  fi
done
if [ -z "${TTC_POSTGRES:-}" ] || [ -z "${TTC_RABBITMQ_HOST:-}" ]; then
  eval "$(scripts/services.sh start --rabbitmq-nodes "$nodes")"
  servers=$TTC_TEST_SERVICES_DIR
  TTC_POSTGRES=$TTC_TEST_POSTGRES TTC_RABBITMQ_HOST=$TTC_TEST_RABBITMQ_HOST TTC_RABBITMQ_PORT=$TTC_TEST_RABBITMQ_PORT
  TTC_RABBITMQ_USER=$TTC_TEST_RABBITMQ_USER TTC_RABBITMQ_PASSWORD=$TTC_TEST_RABBITMQ_PASSWORD
  TTC_RABBITMQ_NODES=${TTC_TEST_RABBITMQ_NODES:-} TTC_RABBITMQ_QUEUE_TYPE=${TTC_TEST_RABBITMQ_QUEUE_TYPE:-}
elif [ "$nodes" != 1 ]; then
  echo "--rabbitmq-nodes starts a local cluster; with TTC_RABBITMQ_HOST set, name your cluster's nodes in TTC_RABBITMQ_NODES"; exit 2
fi
export Messaging__Transport=RabbitMq Messaging__RabbitMq__Host="$TTC_RABBITMQ_HOST" Messaging__RabbitMq__Port="${TTC_RABBITMQ_PORT:-5672}"
export Messaging__RabbitMq__Username="${TTC_RABBITMQ_USER:?set TTC_RABBITMQ_USER}" Messaging__RabbitMq__Password="${TTC_RABBITMQ_PASSWORD:?set TTC_RABBITMQ_PASSWORD}"
export Messaging__RabbitMq__Nodes="${TTC_RABBITMQ_NODES:-}" Messaging__RabbitMq__QueueType="${TTC_RABBITMQ_QUEUE_TYPE:-Classic}"

dotnet build Platform.sln -c Release -v q -nologo 2>&1 | grep -E ": (error|warning) " || true
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }

# Migrations are their own step, with the owner's credentials; the services never run DDL.
ttc db migrate --connection "$TTC_POSTGRES"
declare -A login
for role in router aggregator; do
  user="ttc_${role}_svc"; umask 077
  password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'); printf '%s' "$password" > "$logs/$role.password"
  TTC_ROLE_PASSWORD=$password ttc db user create "$user" --role "$role" --password-env TTC_ROLE_PASSWORD --connection "$TTC_POSTGRES" >/dev/null
  login[$role]=$(python3 -c "import sys,re; cs=sys.argv[1]; cs=re.sub(r'(?i)(Username|User ID)=[^;]*','Username='+sys.argv[2],cs); cs=re.sub(r'(?i)Password=[^;]*','Password='+sys.argv[3],cs); print(cs)" "$TTC_POSTGRES" "$user" "$password")
done

for service in Router Aggregator Generator Verifier; do
  case $service in
    Router) env=(ConnectionStrings__Platform="${login[router]}" Storage__MigrateOnStart=false Urls="http://127.0.0.1:$router_port") ;;
    Aggregator) env=(ConnectionStrings__Platform="${login[aggregator]}" Storage__MigrateOnStart=false Urls="http://127.0.0.1:$aggregator_port") ;;
    *) env=() ;;
  esac
  (umask 077; printf '%s\n' "${env[@]}" >"$logs/$service.env")  # benchmarks/chaos.sh restarts a service with these
  env "${env[@]}" dotnet "services/$service/bin/Release/net10.0/Platform.$service.dll" >"$logs/$service.log" 2>&1 &
  pids+=($!)
  lower=$(echo "$service" | tr 'A-Z' 'a-z')
  for _ in $(seq 1 240); do
    grep -q "$lower ready" "$logs/$service.log" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "$service exited:"; tail -30 "$logs/$service.log"; exit 1; }
    sleep 0.5
  done
  grep -q "$lower ready" "$logs/$service.log" || { echo "$service not ready after 120 s:"; tail -30 "$logs/$service.log"; exit 1; }
  echo "$service ready ($(grep -oE 'Now listening on: [^ ]+' "$logs/$service.log" | head -1)); log $logs/$service.log"
done
echo "all four services are up; RabbitMQ $TTC_RABBITMQ_HOST:${TTC_RABBITMQ_PORT:-5672}${TTC_RABBITMQ_NODES:+ and $TTC_RABBITMQ_NODES (${TTC_RABBITMQ_QUEUE_TYPE:-Classic} queues)}, PostgreSQL: $TTC_POSTGRES"
echo "HTTP API on http://127.0.0.1:$router_port (a key: ConnectionStrings__Platform='$TTC_POSTGRES' ttc keys create NAME)"
[ -n "$check" ] && exit 0
echo "Ctrl-C stops everything"
wait
