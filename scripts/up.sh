#!/usr/bin/env bash
# Distributed mode on one machine: RabbitMQ + PostgreSQL (local throwaway servers unless
# TTC_POSTGRES / TTC_RABBITMQ_* are set) and the four services as separate processes.
#   ./scripts/up.sh            start everything, print where it listens, run until Ctrl-C
#   ./scripts/up.sh --check    start everything, wait until every service is ready, stop, exit 0
# Logs: $TTC_UP_DIR (default: a new temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
check=""; [ "${1:-}" = "--check" ] && check=1

logs=${TTC_UP_DIR:-$(mktemp -d /tmp/ttc-up.XXXXXX)}
pids=(); servers=""
shutdown() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$servers" ]; then scripts/services.sh stop "$servers"; fi
}
trap shutdown EXIT
trap 'exit 130' INT TERM

if [ -z "${TTC_POSTGRES:-}" ] || [ -z "${TTC_RABBITMQ_HOST:-}" ]; then
  eval "$(scripts/services.sh start)"
  servers=$TTC_TEST_SERVICES_DIR
  TTC_POSTGRES=$TTC_TEST_POSTGRES TTC_RABBITMQ_HOST=$TTC_TEST_RABBITMQ_HOST TTC_RABBITMQ_PORT=$TTC_TEST_RABBITMQ_PORT
  TTC_RABBITMQ_USER=$TTC_TEST_RABBITMQ_USER TTC_RABBITMQ_PASSWORD=$TTC_TEST_RABBITMQ_PASSWORD
fi
export ConnectionStrings__Platform="$TTC_POSTGRES"
export Messaging__Transport=RabbitMq Messaging__RabbitMq__Host="$TTC_RABBITMQ_HOST" Messaging__RabbitMq__Port="${TTC_RABBITMQ_PORT:-5672}"
export Messaging__RabbitMq__Username="${TTC_RABBITMQ_USER:?set TTC_RABBITMQ_USER}" Messaging__RabbitMq__Password="${TTC_RABBITMQ_PASSWORD:?set TTC_RABBITMQ_PASSWORD}"

dotnet build Platform.sln -c Release -v q -nologo 2>&1 | grep -E ": (error|warning) " || true
# Router first: it applies the migrations the Aggregator expects.
for service in Router Aggregator Generator Verifier; do
  dotnet "services/$service/bin/Release/net10.0/Platform.$service.dll" >"$logs/$service.log" 2>&1 &
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
echo "all four services are up; RabbitMQ $TTC_RABBITMQ_HOST:${TTC_RABBITMQ_PORT:-5672}, PostgreSQL: $TTC_POSTGRES"
[ -n "$check" ] && exit 0
echo "Ctrl-C stops everything"
wait
