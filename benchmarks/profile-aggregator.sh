#!/usr/bin/env bash
# Where the Aggregator's CPU goes during benchmarks/distributed.sh: a sampled-thread-time trace of the
# Aggregator process over SECONDS of the distributed batch (dotnet-trace, speedscope format), then the
# share of CPU samples whose stack passes through each component (a sample can count for several).
#   benchmarks/profile-aggregator.sh [SECONDS=20] [WARMUP=0]   (needs dotnet-trace: dotnet tool install -g dotnet-trace)
# WARMUP: problems of a warm-up batch before the measured one (benchmarks/distributed.sh's fourth argument).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}; warmup=${2:-0}; export PATH="$PATH:$HOME/.dotnet/tools"
work=$(mktemp -d /tmp/ttc-profile.XXXXXX)
benchmarks/distributed.sh 200 weighted-best-of-n 16 "$warmup" >"$work/distributed.log" 2>&1 & bench=$!
for _ in $(seq 1 360); do grep -q "^distributed:" "$work/distributed.log" 2>/dev/null && break; sleep 0.5; done
pid=$(pgrep -f 'Platform\.Aggregator\.dll' | head -1)
dotnet-trace collect -p "$pid" --profile dotnet-sampled-thread-time --duration "00:00:00:$seconds" --format Speedscope -o "$work/aggregator.nettrace" >/dev/null
wait "$bench" || true
python3 - "$work/aggregator.speedscope.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
frames = [f["name"] for f in d["shared"]["frames"]]
parts = {"EF Core": "EntityFrameworkCore", "Npgsql": "Npgsql!", "sockets": "System.Net.Sockets", "RabbitMQ client": "RabbitMQ.Client",
         "strategy controllers": "Platform.Reasoning", "System.Text.Json": "System.Text.Json", "logging": "Microsoft.Extensions.Logging", "OpenTelemetry": "OpenTelemetry"}
share, total, own, leaf = collections.Counter(), 0.0, collections.Counter(), collections.Counter()
for profile in d["profiles"]:
    stack, last = [], None
    for e in profile["events"]:
        if stack and last is not None and frames[stack[-1]] == "CPU_TIME":  # samples on the CPU, not waiting
            dt = e["at"] - last; total += dt
            joined = "|".join(frames[i] for i in stack)
            leaf[" <- ".join(frames[i].split("(")[0][-70:] for i in reversed(stack[-4:-1]))] += dt
            own[next((frames[i] for i in reversed(stack[:-1]) if frames[i].split("!")[0] not in ("System.Private.CoreLib", "UNMANAGED_CODE_TIME")), frames[stack[-2]] if len(stack) > 1 else "?")] += dt
            for name, marker in parts.items():
                if marker in joined:
                    share[name] += dt
        stack.append(e["frame"]) if e["type"] == "O" else stack.pop()
        last = e["at"]
print(f"CPU samples: {total / 1000:.1f} s of thread time")
for name, t in share.most_common():
    print(f"{100 * t / total:5.1f}%  {name}")
print("innermost frames, by CPU samples:")
for name, t in leaf.most_common(15):
    print(f"{100 * t / total:5.1f}%  {name[:160]}")
print("innermost frames outside the runtime library, by CPU samples:")
for name, t in own.most_common(25):
    print(f"{100 * t / total:5.1f}%  {name[:160]}")
PY
tail -1 "$work/distributed.log"
