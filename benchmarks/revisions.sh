#!/usr/bin/env bash
# Sequential revisions in the compute-optimal policy (Snell et al. §6): at each budget N, chains of
# three sequential-to-parallel ratios — P:L = N/2:2, √N:√N and 1:N (one chain of N attempts; only up to
# N = 16: gen-revise's card shows attempts past the fourth drifting down, and 1:64 is 64 rounds) —
# on the calibration and the held-out problems (added to the sweep folders of benchmarks/search.sh),
# then two policies fitted on the calibration sweep, with and without sequential-revisions, and
# compute-optimal routing by each on the held-out problems at the same budgets.
#   benchmarks/revisions.sh CALIBRATION_RUNS HELDOUT_RUNS [PROBLEMS=200] [BUDGETS="4 16 64"]
set -euo pipefail
cd "$(dirname "$0")/.."
calibration=$1; heldout=$2; problems=${3:-200}; budgets=${4:-"4 16 64"}
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
csv=$(echo $budgets | tr ' ' ',')
sqrt() { python3 -c "import math,sys; n=int(sys.argv[1]); print(max(m for m in range(1, n+1) if n % m == 0 and m*m <= n))" "$1"; }

sweep() { # data, folder
  local data=$1 out=$2
  for n in $budgets; do
    local s; s=$(sqrt "$n")
    for p in $((n / 2)) "$s" 1; do
      [ "$p" -ge 1 ] || continue
      [ "$p" -eq 1 ] && [ "$n" -gt 16 ] && continue
      local l=$((n / p)) name="revisions-p$p-$n"
      [ -f "$out/$name.json" ] || ttc eval "$data" --limit "$problems" --seed 7 --strategy sequential-revisions --n "$n" --chains "$p" --chain-length "$l" \
        --json "$out/$name.json" --db "$out/$name.db" >/dev/null 2>&1
    done
  done
}
sweep data/arith/calibration.jsonl "$calibration"
sweep data/arith/heldout.jsonl "$heldout"

echo "## sequential revisions against weighted best-of-N (held-out, $problems problems)"
PYTHONPATH=benchmarks python3 - "$heldout" "$budgets" <<'PY'
import glob, json, os, re, sys
from evalruns import header
out, budgets = sys.argv[1], sys.argv[2].split()
header("N", "P:L", "accuracy", "tokens / problem", "FLOPs / problem", *(f"level {l}" for l in range(1, 7)))
for n in budgets:
    rows = []
    for path in glob.glob(os.path.join(out, f"revisions-p*-{n}.json")):
        p = int(re.search(r"revisions-p(\d+)-", path).group(1)); rows.append((p, json.load(open(path))))
    wb = os.path.join(out, f"weighted-bon-{n}.json")
    if os.path.exists(wb): rows.append((None, json.load(open(wb))))
    for p, r in sorted(rows, key=lambda x: (x[0] is None, x[0] or 0)):
        label = f"{p}:{int(n)//p}" if p else "weighted BoN"
        lv = " | ".join(f"{100*r['by_level'][str(l)]['accuracy']:.0f}%" if str(l) in r["by_level"] else "-" for l in range(1, 7))
        print(f"| {n} | {label} | {100*r['accuracy']:.1f}% | {r['generated_tokens']/r['problems']:.0f} | {r['flops']/r['problems']:.2e} | {lv} |")
PY
echo
echo "## the best ratio per oracle difficulty bin (held-out; 2-fold cross-validated among the revision configurations only)"
ttc policy fit --runs "$heldout" --budgets "$csv" --exclude greedy,self-consistency,best-of-n,weighted-best-of-n,beam-search,lookahead,dvts,mcts,budget-forcing
echo
echo "## policy with revisions (fitted on $calibration)"
ttc policy fit --runs "$calibration" --budgets "$csv" --probes weighted-bon-4 --out "$calibration/policy-revisions.json"
echo
echo "## policy without revisions"
ttc policy fit --runs "$calibration" --budgets "$csv" --probes weighted-bon-4 --exclude sequential-revisions --out "$calibration/policy-parallel.json" | tail -n +2 >/dev/null
for n in $budgets; do
  for kind in revisions parallel; do
    [ -f "$heldout/co-$kind-$n.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --n "$n" \
      --policy-file "$calibration/policy-$kind.json" --json "$heldout/co-$kind-$n.json" --db "$heldout/co-$kind-$n.db" >/dev/null 2>&1
  done
done
PYTHONPATH=benchmarks python3 - "$heldout" "$budgets" <<'PY'
import sys
from evalruns import cell, header, load
out, budgets = sys.argv[1], sys.argv[2].split()
header("N", "compute-optimal with revisions: accuracy", "tokens / problem", "FLOPs / problem", "without: accuracy", "tokens / problem", "FLOPs / problem")
for n in budgets:
    print(f"| {n} | " + " | ".join(cell(load(out, f"co-revisions-{n}")) + cell(load(out, f"co-parallel-{n}"))) + " |")
PY
