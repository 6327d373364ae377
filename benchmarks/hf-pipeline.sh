#!/usr/bin/env bash
# A Hugging Face-format generator through the embedded pipeline against its standalone generation rate,
# beside gen-small, back to back in one run (issue 25): for each model, ttc-bench generation (mode c:
# N = 64 samples of one prompt from one shared prefill, 128 new tokens) and then ttc eval majority@16 on
# the 200 held-out problems after a 100-problem warm-up (generated tokens / wall seconds); the ratio.
#   benchmarks/hf-pipeline.sh [MODEL_DIR ...]    (default: models/hf-test/llama-gqa models/gen-small)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
models=("$@"); [ ${#models[@]} -gt 0 ] || models=(models/hf-test/llama-gqa models/gen-small)
work=$(mktemp -d /tmp/ttc-hf-pipeline.XXXXXX)
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print $2}') kB; $(date -u '+%Y-%m-%d %H:%M') UTC"
echo "| model | standalone mode c tokens/s | pipeline tokens/s | pipeline / standalone | prompt tokens (shared) | generated tokens |"
echo "|---|---:|---:|---:|---:|---:|"
for m in "${models[@]}"; do
  bench=$(benchmarks/Platform.Benchmarks/bin/Release/net10.0/ttc-bench generation --model "$m" --samples 64 --max-new-tokens 128 --repeats 3 | tee "$work/bench.txt" | grep "^| c:" | head -1 | awk -F'|' '{gsub(/[ ,]/, "", $5); print $5}')
  tools/Platform.Cli/bin/Release/net10.0/ttc eval data/arith/heldout.jsonl --limit 200 --strategy self-consistency --n 16 --seed 7 --warmup 100 \
    --generator "$m" --json "$work/eval.json" >"$work/eval.log" 2>&1
  python3 - "$work/eval.json" "$bench" "$m" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); standalone = float(sys.argv[2]); rate = r["generated_tokens"] / r["wall_seconds"]
print(f"| {sys.argv[3]} | {standalone:,.0f} | {rate:,.0f} | {100 * rate / standalone:.0f}% | {r['prompt_tokens']:,} (+{r['cached_prompt_tokens']:,}) | {r['generated_tokens']:,} |")
PY
done
rm -rf "$work"
