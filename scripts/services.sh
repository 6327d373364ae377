#!/usr/bin/env bash
# Throwaway RabbitMQ and PostgreSQL for tests and local runs: Debian packages, loopback ports,
# a private temporary directory, no systemd and no Docker.
#
#   eval "$(scripts/services.sh start)"   # prints only `export TTC_TEST_*=...` lines on stdout
#   eval "$(scripts/services.sh start --rabbitmq-nodes 3)"   # a three-node RabbitMQ cluster (quorum queues)
#   scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"
# Outages for the chaos suite and tests: pg-stop/pg-start DIR, rabbit-stop/rabbit-start/rabbit-kill DIR [NODE],
# rabbit-busiest DIR (the node that leads the busiest quorum queues), rabbit-queues DIR (every queue, as JSON).
#
# Settings (environment): SERVICES_TIMEOUT (seconds, default 120), WITH_RABBITMQ_MANAGEMENT=1,
# TTC_PG_DURABLE=1 (fsync and synchronous commits on).
set -euo pipefail

say() { echo "[services] $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
# Tests trade durability for speed (a crash loses the last commits); TTC_PG_DURABLE=1 keeps PostgreSQL's
# defaults, as the chaos suite needs: its crashes must lose nothing a commit acknowledged.
pg_options() {
  local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"; [ "${TTC_PG_DURABLE:-}" = 1 ] && fast=""
  echo "-c listen_addresses=127.0.0.1 -c max_connections=300 $fast"
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A run of $1 consecutive free ports in 20000..28999 (below the ephemeral range).
free_ports() {
  local count=$1 base i ok
  for _ in $(seq 1 100); do
    base=$((20000 + RANDOM % 9000)); ok=1
    for ((i = 0; i < count; i++)); do if listening $((base + i)); then ok=0; break; fi; done
    if [ $ok = 1 ]; then echo "$base"; return 0; fi
  done
  say "no free loopback ports found"; return 1
}

install_missing() {
  local missing=()
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  { [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ]; } || missing+=(postgresql)
  # ttc report draws its PNG plots' text with a system font (SkiaSharp finds them under /usr/share/fonts).
  compgen -G "/usr/share/fonts/truetype/dejavu/*.ttf" >/dev/null || missing+=(fonts-dejavu-core)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} from Debian packages"
  local blocker=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Keep the packages' maintainer scripts from starting system-wide instances.
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d; blocker=1
  fi
  local log; log=$(mktemp)
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -40 "$log" >&2; rm -f "$log"; [ -z "$blocker" ] || as_root rm -f /usr/sbin/policy-rc.d; return 1
  fi
  rm -f "$log"; [ -z "$blocker" ] || as_root rm -f /usr/sbin/policy-rc.d
}

# The directory of RabbitMQ node I (1-based) of a set: node 1 keeps the single-node layout.
node_dir() { if [ "$2" = 1 ]; then echo "$1/rabbitmq"; else echo "$1/rabbitmq-$2"; fi; }
rabbit_nodes() { local count=0; while [ -d "$(node_dir "$1" $((count + 1)))" ]; do count=$((count + 1)); done; echo "$count"; }
rabbitmqctl_on() { ( . "$(node_dir "$1" "$2")/env"; shift 2; /usr/lib/rabbitmq/bin/rabbitmqctl "$@" ) }

launch_node() { # DIR NODE: start the broker of one node (its data and ports kept), in the background
  local r; r=$(node_dir "$1" "$2")
  ( . "$r/env"; setsid /usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >>"$r/server.log" 2>&1 & echo $! >"$r/server.pid" )
}

await_node() { # DIR NODE TIMEOUT: until the node accepts AMQP connections and has booted
  local r; r=$(node_dir "$1" "$2"); local port; port=$(. "$r/env"; echo "$RABBITMQ_NODE_PORT")
  local deadline=$(( $(date +%s) + $3 ))
  until listening "$port"; do
    if ! kill -0 "$(cat "$r/server.pid")" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      say "rabbitmq node $2 did not start"; tail -40 "$r/server.log" "$r"/log/*.log >&2 2>/dev/null || true; return 1
    fi
    sleep 0.2
  done
  rabbitmqctl_on "$1" "$2" -q await_startup --timeout "$3" >&2
}

start() {
  local timeout=${SERVICES_TIMEOUT:-120} nodes=1 postgres=1
  while [ $# -gt 0 ]; do
    case $1 in
      --rabbitmq-nodes) nodes=$2; shift 2 ;;
      --no-postgres) postgres=""; shift ;;
      *) say "unknown option $1"; return 2 ;;
    esac
  done
  [[ $nodes =~ ^[1-9]$ ]] || { say "--rabbitmq-nodes must be 1 to 9 (was $nodes)"; return 2; }
  install_missing
  local dir; dir=$(mktemp -d /tmp/ttc-services.XXXXXX); chmod 755 "$dir"
  mkdir -p "$dir/pg"
  # On any failure below, stop whatever already started.
  trap "stop '$dir' >/dev/null 2>&1 || true" ERR

  # Four ports per node: amqp, erlang distribution, epmd (node 1's is shared by all), management.
  local amqp; amqp=$(free_ports $((4 * nodes)))
  local pgport; pgport=$(free_ports 1)
  while [ "$pgport" -ge "$amqp" ] && [ "$pgport" -le $((amqp + 4 * nodes - 1)) ]; do pgport=$(free_ports 1); done

  # RabbitMQ first: it is the slow one. Each node: own HOME, node name, ports and data; one epmd and
  # one Erlang cookie for the set, so that the nodes can form a cluster.
  local cookie i r port addresses=""; cookie=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  for ((i = 1; i <= nodes; i++)); do
    r=$(node_dir "$dir" $i); port=$((amqp + 4 * (i - 1))); mkdir -p "$r"
    cat >"$r/env" <<ENV
export HOME='$r' RABBITMQ_CONF_ENV_FILE='$r/rabbitmq-env.conf'
export RABBITMQ_NODENAME='ttc${amqp}n$i@localhost' RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$((port + 1)) ERL_EPMD_PORT=$((amqp + 2)) ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE='$r/mnesia' RABBITMQ_LOG_BASE='$r/log' RABBITMQ_PID_FILE='$r/rabbit.pid'
export RABBITMQ_CONFIG_FILE='$r/rabbitmq.conf' RABBITMQ_ADVANCED_CONFIG_FILE='$r/advanced.config'
export RABBITMQ_ENABLED_PLUGINS_FILE='$r/enabled_plugins'
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
ENV
    : >"$r/rabbitmq-env.conf"
    printf '%s' "$cookie" >"$r/.erlang.cookie"; chmod 400 "$r/.erlang.cookie"
    printf 'listeners.tcp.default = 127.0.0.1:%s\nmanagement.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\nlog.console = false\n' \
      "$port" $((port + 3)) >"$r/rabbitmq.conf"
    if [ "${WITH_RABBITMQ_MANAGEMENT:-0}" = 1 ]; then echo '[rabbitmq_management].' >"$r/enabled_plugins"; else echo '[].' >"$r/enabled_plugins"; fi
    [ $i = 1 ] || addresses+="${addresses:+,}127.0.0.1:$port"
  done
  r=$(node_dir "$dir" 1)
  (
    . "$r/env"
    setsid epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 </dev/null >"$r/epmd.log" 2>&1 &
    echo $! >"$r/epmd.pid"
  )
  for ((i = 1; i <= nodes; i++)); do launch_node "$dir" $i; done
  say "rabbitmq starting on 127.0.0.1:$amqp${addresses:+ and $addresses}"

  # PostgreSQL refuses to run as root.
  local p="$dir/pg" bin; bin=$(pg_bin)
  if [ -n "$postgres" ]; then
    local run=(); if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$p"; run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/initdb" -D "$p/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$p/initdb.log" 2>&1 \
      || { cat "$p/initdb.log" >&2; false; }
    "${run[@]}" "$bin/pg_ctl" -D "$p/data" -l "$p/server.log" -w -t "$timeout" \
      -o "-p $pgport -k $p $(pg_options)" \
      start >/dev/null || { cat "$p/server.log" >&2; false; }
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$pgport" -t "$timeout"
    echo "$pgport" >"$p/port"
    say "postgres ready on 127.0.0.1:$pgport"
  fi

  for ((i = 1; i <= nodes; i++)); do await_node "$dir" $i "$timeout"; done
  # The other nodes join node 1: one cluster, whose queues the services declare as quorum queues.
  for ((i = 2; i <= nodes; i++)); do
    { rabbitmqctl_on "$dir" $i -q stop_app && rabbitmqctl_on "$dir" $i -q join_cluster "ttc${amqp}n1@localhost" \
      && rabbitmqctl_on "$dir" $i -q start_app; } >&2
  done
  [ "$nodes" = 1 ] || say "rabbitmq cluster of $nodes nodes: $(rabbitmqctl_on "$dir" 1 -q cluster_status --formatter json | python3 -c 'import json,sys; print(", ".join(json.load(sys.stdin)["running_nodes"]))')"
  say "rabbitmq ready on 127.0.0.1:$amqp"
  trap - ERR

  cat <<OUT
export TTC_TEST_SERVICES_DIR='$dir'
${postgres:+export TTC_TEST_POSTGRES='Host=127.0.0.1;Port=$pgport;Username=postgres;Password=postgres;Database=postgres'}
export TTC_TEST_RABBITMQ_HOST=127.0.0.1 TTC_TEST_RABBITMQ_PORT=$amqp TTC_TEST_RABBITMQ_USER=guest TTC_TEST_RABBITMQ_PASSWORD=guest
OUT
  if [ "$nodes" -gt 1 ]; then echo "export TTC_TEST_RABBITMQ_NODES='$addresses' TTC_TEST_RABBITMQ_QUEUE_TYPE=Quorum"; fi
}

gone() { for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done; return 1; }

stop() {
  local dir=${1:-${TTC_TEST_SERVICES_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir" ] || { say "nothing to stop"; return 0; }
  local r="$dir/rabbitmq" p="$dir/pg" pid i
  if [ -f "$r/server.pid" ]; then
    for ((i = $(rabbit_nodes "$dir"); i >= 1; i--)); do halt_node "$dir" $i TERM; done
    if [ -f "$r/epmd.pid" ]; then pid=$(cat "$r/epmd.pid"); kill -TERM "$pid" 2>/dev/null || true; gone "$pid" 25 || kill -KILL "$pid" 2>/dev/null || true; fi
    say "rabbitmq stopped"
  fi
  if [ -f "$p/data/postmaster.pid" ]; then
    local run=(); [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$(pg_bin)/pg_ctl" -D "$p/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || kill -QUIT "$(head -1 "$p/data/postmaster.pid")" 2>/dev/null || true
    say "postgres stopped"
  fi
  rm -rf "$dir"
}

# Stop or start one server of a running set (same data, same port): outages for the chaos suite.
pg_stop() {
  local p="$1/pg" run=(); [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$(pg_bin)/pg_ctl" -D "$p/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  say "postgres stopped (immediate)"
}

pg_start() {
  local p="$1/pg" run=(); [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  local port; port=$(cat "$p/port")
  "${run[@]}" "$(pg_bin)/pg_ctl" -D "$p/data" -l "$p/server.log" -w -t 60 \
    -o "-p $port -k $p $(pg_options)" \
    start >/dev/null
  say "postgres started on 127.0.0.1:$port"
}

halt_node() { # DIR NODE SIGNAL: TERM stops the broker cleanly in about a second; KILL is a crash
  local r; r=$(node_dir "$1" "$2"); [ -f "$r/server.pid" ] || return 0
  local pid broker; pid=$(cat "$r/server.pid"); broker=$(cat "$r/rabbit.pid" 2>/dev/null || echo "$pid")
  kill -"$3" "$broker" "$pid" 2>/dev/null || true
  gone "$broker" 150 || kill -KILL "$broker" "$pid" 2>/dev/null || true
}

rabbit_stop() { halt_node "$1" "${2:-1}" TERM; say "rabbitmq node ${2:-1} stopped"; }
rabbit_kill() { halt_node "$1" "${2:-1}" KILL; say "rabbitmq node ${2:-1} killed"; }

rabbit_start() {
  launch_node "$1" "${2:-1}"
  await_node "$1" "${2:-1}" 120
  say "rabbitmq node ${2:-1} started"
}

# The queues of a set as JSON (name, type, leader, members, messages), asked of the first node that answers.
rabbit_queues() {
  local i count; count=$(rabbit_nodes "$1")
  for ((i = 1; i <= count; i++)); do
    rabbitmqctl_on "$1" $i -q list_queues name type leader members messages --formatter json 2>/dev/null && return 0
  done
  say "no rabbitmq node answers"; return 1
}

# The node (1-based) leading the busiest queues: most messages (ready and unacknowledged) over the
# quorum queues it leads.
rabbit_busiest() {
  local listing j count; listing=$(rabbit_queues "$1") || return 1; count=$(rabbit_nodes "$1")
  python3 - "$listing" "$(for ((j = 1; j <= count; j++)); do (. "$(node_dir "$1" $j)/env"; echo "$RABBITMQ_NODENAME"); done)" <<'PY'
import json, sys
queues, names = json.loads(sys.argv[1]), sys.argv[2].split()
load = {n: 0 for n in names}
for q in queues:
    if q.get("type") == "quorum" and q.get("leader") in load:
        load[q["leader"]] += int(q.get("messages") or 0) + 1  # +1: a queue with no backlog still counts
print(names.index(max(names, key=lambda n: load[n])) + 1)
PY
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop "${2:-}" ;;
  pg-stop) pg_stop "$2" ;;
  pg-start) pg_start "$2" ;;
  rabbit-stop) rabbit_stop "$2" "${3:-1}" ;;
  rabbit-start) rabbit_start "$2" "${3:-1}" ;;
  rabbit-kill) rabbit_kill "$2" "${3:-1}" ;;
  rabbit-busiest) rabbit_busiest "$2" ;;
  rabbit-queues) rabbit_queues "$2" ;;
  *) echo "usage: $0 start [--rabbitmq-nodes N] [--no-postgres] | stop [DIR] | pg-stop DIR | pg-start DIR | rabbit-stop DIR [NODE] | rabbit-start DIR [NODE] | rabbit-kill DIR [NODE] | rabbit-busiest DIR | rabbit-queues DIR" >&2; exit 2 ;;
esac
