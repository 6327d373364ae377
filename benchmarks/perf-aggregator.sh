#!/usr/bin/env bash
# Where the Aggregator's CPU goes, native frames included: `perf record -g` of the Aggregator process over
# SECONDS of benchmarks/distributed.sh's measured batch (after its warm-up), then the share of samples per
# shared object (libclrjit.so = the JIT, libcoreclr.so = the runtime, memfd:doublemapper = JIT'd code)
# and how many JIT samples have no managed caller (the runtime's background tier-up worker).
#   benchmarks/perf-aggregator.sh [SECONDS=12] [WARMUP=100]   (needs perf: apt-get install linux-perf)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-12}; warmup=${2:-100}
work=$(mktemp -d /tmp/ttc-perf.XXXXXX)
export DOTNET_PerfMapEnabled=1
benchmarks/distributed.sh 200 weighted-best-of-n 16 "$warmup" >"$work/distributed.log" 2>&1 & bench=$!
for _ in $(seq 1 600); do grep -q "^distributed:" "$work/distributed.log" 2>/dev/null && break; sleep 0.5; done
pid=$(pgrep -f 'Platform\.Aggregator\.dll' | head -1)
perf record -F 499 -g -p "$pid" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1
wait "$bench" || true
perf script -i "$work/perf.data" 2>/dev/null >"$work/perf.txt"
python3 - "$work/perf.txt" <<'PY'
import collections, re, sys
samples = [s.strip().split("\n") for s in open(sys.argv[1]).read().split("\n\n") if s.strip()]
by_object, jit_background, total = collections.Counter(), 0, 0
native = ("libclrjit", "libcoreclr", "libc.so", "ld-linux")
for s in samples:
    frames = [f.strip() for f in s[1:]]
    if not frames:
        continue
    total += 1
    leaf = re.search(r"\(([^)]*)\)\s*$", frames[0])
    by_object[(leaf.group(1).rsplit("/", 1)[-1] if leaf else "?")] += 1
    if "libclrjit" in frames[0] and all(any(n in f for n in native) for f in frames):
        jit_background += 1
print(f"{total} samples of the Aggregator")
for name, n in by_object.most_common(8):
    print(f"{100 * n / total:5.1f}%  {name}")
print(f"JIT samples with no managed caller (background tier-up): {jit_background} ({100 * jit_background / max(1, total):.1f}% of all)")
PY
grep -E "Platform.Aggregator|throughput =" "$work/distributed.log"
