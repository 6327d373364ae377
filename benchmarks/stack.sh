# Sourced by benchmarks that run on the distributed stack (large-batch.sh, soak.sh, distributed.sh,
# cache-memory.sh, openai-batch.sh): builds (unless the script has already, defining ttc()), starts
# throwaway RabbitMQ and PostgreSQL (scripts/services.sh) and the four services (scripts/up.sh, logs in
# $work), and stops everything on exit. Needs $work; defines ttc(), exports TTC_POSTGRES and
# TTC_RABBITMQ_*, and the same as the services' own settings for `ttc submit`; sets $up (scripts/up.sh's pid).
if ! declare -F ttc >/dev/null; then
  dotnet build Platform.sln -c Release -v q -nologo >/dev/null
  ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
fi

eval "$(scripts/services.sh start)"
trap 'kill $up 2>/dev/null || true; wait $up 2>/dev/null || true; scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"' EXIT
export TTC_POSTGRES=$TTC_TEST_POSTGRES TTC_RABBITMQ_HOST=$TTC_TEST_RABBITMQ_HOST TTC_RABBITMQ_PORT=$TTC_TEST_RABBITMQ_PORT
export TTC_RABBITMQ_USER=$TTC_TEST_RABBITMQ_USER TTC_RABBITMQ_PASSWORD=$TTC_TEST_RABBITMQ_PASSWORD TTC_UP_DIR=$work
export TTC_ROUTER_PORT=${TTC_ROUTER_PORT:-5280} TTC_AGGREGATOR_PORT=${TTC_AGGREGATOR_PORT:-5281}
scripts/up.sh >"$work/up.log" 2>&1 & up=$!
for _ in $(seq 1 480); do grep -q "all four services are up" "$work/up.log" && break; kill -0 "$up" 2>/dev/null || break; sleep 0.5; done
grep -q "all four services are up" "$work/up.log" || { cat "$work/up.log"; exit 1; }
export Messaging__RabbitMq__Host=$TTC_RABBITMQ_HOST Messaging__RabbitMq__Port=$TTC_RABBITMQ_PORT
export Messaging__RabbitMq__Username=$TTC_RABBITMQ_USER Messaging__RabbitMq__Password=$TTC_RABBITMQ_PASSWORD ConnectionStrings__Platform=$TTC_POSTGRES
