#!/usr/bin/env bash
# Throwaway RabbitMQ and PostgreSQL for tests and local runs: Debian packages, loopback ports,
# a private temporary directory, no systemd and no Docker.
#
#   eval "$(scripts/services.sh start)"   # prints only `export TTC_TEST_*=...` lines on stdout
#   scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"
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

start() {
  local timeout=${SERVICES_TIMEOUT:-120}
  install_missing
  local dir; dir=$(mktemp -d /tmp/ttc-services.XXXXXX); chmod 755 "$dir"
  mkdir -p "$dir/rabbitmq" "$dir/pg"
  # On any failure below, stop whatever already started.
  trap "stop '$dir' >/dev/null 2>&1 || true" ERR

  local amqp; amqp=$(free_ports 4)   # amqp, erlang distribution, epmd, management
  local pgport; pgport=$(free_ports 1)
  while [ "$pgport" -ge "$amqp" ] && [ "$pgport" -le $((amqp + 3)) ]; do pgport=$(free_ports 1); done

  # RabbitMQ first: it is the slow one. Own HOME (Erlang cookie), node name, ports and epmd.
  local r="$dir/rabbitmq"
  cat >"$r/env" <<ENV
export HOME='$r' RABBITMQ_CONF_ENV_FILE='$r/rabbitmq-env.conf'
export RABBITMQ_NODENAME='ttc$amqp@localhost' RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$amqp
export RABBITMQ_DIST_PORT=$((amqp + 1)) ERL_EPMD_PORT=$((amqp + 2)) ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE='$r/mnesia' RABBITMQ_LOG_BASE='$r/log' RABBITMQ_PID_FILE='$r/rabbit.pid'
export RABBITMQ_CONFIG_FILE='$r/rabbitmq.conf' RABBITMQ_ADVANCED_CONFIG_FILE='$r/advanced.config'
export RABBITMQ_ENABLED_PLUGINS_FILE='$r/enabled_plugins'
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
ENV
  : >"$r/rabbitmq-env.conf"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nmanagement.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\nlog.console = false\n' \
    "$amqp" $((amqp + 3)) >"$r/rabbitmq.conf"
  if [ "${WITH_RABBITMQ_MANAGEMENT:-0}" = 1 ]; then echo '[rabbitmq_management].' >"$r/enabled_plugins"; else echo '[].' >"$r/enabled_plugins"; fi
  (
    . "$r/env"
    setsid epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 </dev/null >"$r/epmd.log" 2>&1 &
    echo $! >"$r/epmd.pid"
    setsid /usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >"$r/server.log" 2>&1 &
    echo $! >"$r/server.pid"
  )
  say "rabbitmq starting on 127.0.0.1:$amqp"

  # PostgreSQL refuses to run as root.
  local p="$dir/pg" bin; bin=$(pg_bin)
  local run=(); if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$p"; run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/initdb" -D "$p/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$p/initdb.log" 2>&1 \
    || { cat "$p/initdb.log" >&2; false; }
  "${run[@]}" "$bin/pg_ctl" -D "$p/data" -l "$p/server.log" -w -t "$timeout" \
    -o "-p $pgport -k $p $(pg_options)" \
    start >/dev/null || { cat "$p/server.log" >&2; false; }
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$pgport" -t "$timeout"
  echo "$pgport" >"$p/port"
  say "postgres ready on 127.0.0.1:$pgport"

  local deadline=$(( $(date +%s) + timeout ))
  until listening "$amqp"; do
    if ! kill -0 "$(cat "$r/server.pid")" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      say "rabbitmq did not start"; tail -40 "$r/server.log" "$r"/log/*.log >&2 2>/dev/null || true; false
    fi
    sleep 0.2
  done
  ( . "$r/env"; /usr/lib/rabbitmq/bin/rabbitmqctl -q await_startup --timeout "$timeout" >&2 )
  say "rabbitmq ready on 127.0.0.1:$amqp"
  trap - ERR

  cat <<OUT
export TTC_TEST_SERVICES_DIR='$dir'
export TTC_TEST_POSTGRES='Host=127.0.0.1;Port=$pgport;Username=postgres;Password=postgres;Database=postgres'
export TTC_TEST_RABBITMQ_HOST=127.0.0.1 TTC_TEST_RABBITMQ_PORT=$amqp TTC_TEST_RABBITMQ_USER=guest TTC_TEST_RABBITMQ_PASSWORD=guest
OUT
}

gone() { for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done; return 1; }

stop() {
  local dir=${1:-${TTC_TEST_SERVICES_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir" ] || { say "nothing to stop"; return 0; }
  local r="$dir/rabbitmq" p="$dir/pg" pid
  if [ -f "$r/server.pid" ]; then
    # SIGTERM to the launcher stops the broker cleanly in about a second.
    pid=$(cat "$r/server.pid"); local broker; broker=$(cat "$r/rabbit.pid" 2>/dev/null || echo "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    gone "$broker" 150 || kill -KILL "$broker" "$pid" 2>/dev/null || true
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

rabbit_stop() {
  local r="$1/rabbitmq" pid broker
  pid=$(cat "$r/server.pid"); broker=$(cat "$r/rabbit.pid" 2>/dev/null || echo "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  gone "$broker" 150 || kill -KILL "$broker" "$pid" 2>/dev/null || true
  say "rabbitmq stopped"
}

rabbit_start() {
  local r="$1/rabbitmq"
  ( . "$r/env"; setsid /usr/lib/rabbitmq/bin/rabbitmq-server </dev/null >>"$r/server.log" 2>&1 & echo $! >"$r/server.pid" )
  ( . "$r/env"; until (exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_NODE_PORT") 2>/dev/null; do sleep 0.2; done
    /usr/lib/rabbitmq/bin/rabbitmqctl -q await_startup --timeout 120 >&2 )
  say "rabbitmq started"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  pg-stop) pg_stop "$2" ;;
  pg-start) pg_start "$2" ;;
  rabbit-stop) rabbit_stop "$2" ;;
  rabbit-start) rabbit_start "$2" ;;
  *) echo "usage: $0 start | stop [DIR] | pg-stop DIR | pg-start DIR | rabbit-stop DIR | rabbit-start DIR" >&2; exit 2 ;;
esac
