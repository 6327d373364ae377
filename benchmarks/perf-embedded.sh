#!/usr/bin/env bash
# Where the embedded platform's CPU goes during a measured batch: `perf record` of the `ttc eval`
# process (majority@16 on the 200 held-out problems, after a 100-problem warm-up) for SECONDS, then the
# share of samples per shared object (libonnxruntime = inference, libclrjit = the JIT, [kernel] =
# scheduling and page faults) and the top symbols (memmove = copies of the KV cache).
#   benchmarks/perf-embedded.sh [SECONDS=3] [DELAY=9]   (DELAY: seconds from start to the measured batch)
#   DOTNET_TieredCompilation=0 benchmarks/perf-embedded.sh   (the same with tiered compilation off; on is the build's setting, decision 0013)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}; delay=${2:-9}
work=$(mktemp -d /tmp/ttc-perf-embedded.XXXXXX)
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
export DOTNET_PerfMapEnabled=1
dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll eval data/arith/heldout.jsonl --limit 200 --strategy self-consistency --n 16 --seed 7 \
  --warmup 100 --json "$work/eval.json" >"$work/eval.log" 2>&1 & eval_pid=$!
sleep "$delay"
perf record -F 999 -p "$eval_pid" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1 || true
wait "$eval_pid"
echo "by shared object:"
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep "%" | head -8
echo "top symbols:"
perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null | grep "%" | head -5
python3 -c "import json; r=json.load(open('$work/eval.json')); print(f\"batch: {r['wall_seconds']:.2f} s, {r['generated_tokens']/r['wall_seconds']:.0f} tokens/s\")"
rm -rf "$work"
