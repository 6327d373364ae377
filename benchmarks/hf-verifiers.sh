#!/usr/bin/env bash
# Hugging Face-format verifiers through the embedded pipeline against their standalone scoring rate, back
# to back in one run (issue 26): for each verifier folder, ttc-bench scoring (16 solutions of each of the
# 200 held-out problems, written by the generator, all submitted at once to the Verifier's engine) and
# then ttc eval weighted best-of-16 with that verifier on the same problems; the pipeline's rate is the
# verifier's scored tokens over its recorded device time (compute_usage), the ratio is the goal (>= 85%).
#   benchmarks/hf-verifiers.sh [VERIFIER_DIR ...]   (default: models/hf-arith-prm models/hf-verifiers/math-shepherd)
#   GENERATOR=models/hf-arith (default)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
generator=${GENERATOR:-models/hf-arith}
verifiers=("$@"); [ ${#verifiers[@]} -gt 0 ] || verifiers=(models/hf-arith-prm models/hf-verifiers/math-shepherd)
work=$(mktemp -d /tmp/ttc-hf-verifiers.XXXXXX)
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print $2}') kB; $(date -u '+%Y-%m-%d %H:%M') UTC; generator $generator"
echo "| verifier | standalone scored tokens/s | pipeline scored tokens/s | pipeline / standalone | scored tokens (pipeline) | accuracy |"
echo "|---|---:|---:|---:|---:|---:|"
for v in "${verifiers[@]}"; do
  bench=$(benchmarks/Platform.Benchmarks/bin/Release/net10.0/ttc-bench scoring --model "$generator" --scorer "$v" --samples 16 --file data/arith/heldout.jsonl \
    --limit 200 --repeats 2 | tee "$work/bench.txt" | grep -E '^\| [0-9]+ \|' | awk -F'|' '{gsub(/ /, "", $7); print $7}' | sort -n | tail -1)
  rm -f "$work/eval.db"
  tools/Platform.Cli/bin/Release/net10.0/ttc eval data/arith/heldout.jsonl --limit 200 --strategy weighted-best-of-n --n 16 --seed 7 \
    --generator "$generator" --verifier "$v" --json "$work/eval.json" --db "$work/eval.db" >"$work/eval.log" 2>&1
  python3 - "$work/eval.json" "$work/eval.db" "$bench" "$v" <<'PY'
import json, sqlite3, sys
r = json.load(open(sys.argv[1])); standalone = float(sys.argv[3]); name = sys.argv[4].rstrip("/").split("/")[-1]
scored, ms = sqlite3.connect(sys.argv[2]).execute("select sum(scored_tokens), sum(device_milliseconds) from compute_usage where model = ?", (name,)).fetchone()
rate = scored / (ms / 1000)
print(f"| {sys.argv[4]} | {standalone:,.0f} | {rate:,.0f} | {100 * rate / standalone:.0f}% | {scored:,} | {100 * r['accuracy']:.1f}% |")
PY
done
rm -rf "$work"
