#!/usr/bin/env bash
# Accuracy and generated tokens of the sampling strategies on the first N held-out arithmetic
# problems, each through `ttc eval` (embedded: in-memory bus + SQLite), same models, same seed.
#   benchmarks/strategies.sh [N=200]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
out=$(mktemp -d /tmp/ttc-strategies.XXXXXX)
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
runs=(
  "greedy:greedy:1:last"
  "maj@4:self-consistency:4:last"
  "maj@16:self-consistency:16:last"
  "BoN-PRM@4 (last):best-of-n:4:last"
  "BoN-PRM@16 (last):best-of-n:16:last"
  "weighted-BoN@4 (last):weighted-best-of-n:4:last"
  "weighted-BoN@16 (last):weighted-best-of-n:16:last"
)
echo "| strategy | problems | accuracy | generated tokens | tokens / problem | FLOPs | wall s |"
echo "|---|---|---|---|---|---|---|"
for r in "${runs[@]}"; do
  IFS=: read -r label strategy samples aggregation <<<"$r"
  ttc eval data/arith/heldout.jsonl --limit "$n" --strategy "$strategy" --n "$samples" --aggregation "$aggregation" --seed 7 \
    --json "$out/$strategy-$samples.json" --db "$out/$strategy-$samples.db" >/dev/null 2>&1
  python3 - "$out/$strategy-$samples.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {r['problems']} | {100*r['accuracy']:.1f}% | {r['generated_tokens']:,} | {r['generated_tokens']/r['problems']:.0f} | {r['flops']:.3e} | {r['wall_seconds']:.1f} |")
PY
done
echo
echo "by level (accuracy):"
python3 - "$out" <<'PY'
import json, glob, os, sys
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))
levels = sorted({l for f in files for l in json.load(open(f))["by_level"]}, key=lambda x: int(x) if x.isdigit() else 99)
print("| run | " + " | ".join(f"level {l}" for l in levels) + " |")
print("|---|" + "---|" * len(levels))
for f in files:
    r = json.load(open(f))
    print(f"| {os.path.basename(f)[:-5]} | " + " | ".join(f"{100*r['by_level'][l]['accuracy']:.0f}%" if l in r['by_level'] else "-" for l in levels) + " |")
PY
