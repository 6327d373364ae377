#!/usr/bin/env bash
# Compute-optimal routing against fixed strategies (Snell et al. §3.2, predicted difficulty):
#  1. fit the policy on a calibration sweep (benchmarks/search.sh on data/arith/calibration.jsonl):
#     bounds on the mean score of 4 probes, and per predicted bin and budget the best configuration;
#  2. measure how often the probes' bins equal the oracle bins on held-out problems;
#  3. run `ttc eval --strategy compute-optimal` on the held-out problems at each budget and set it
#     beside weighted best-of-N and majority voting from the held-out sweep.
#   benchmarks/compute-optimal.sh CALIBRATION_RUNS HELDOUT_RUNS [PROBLEMS=200] [BUDGETS="4 16 64"] [POLICY=models/policy.json]
set -euo pipefail
cd "$(dirname "$0")/.."
calibration=$1; heldout=$2; problems=${3:-200}; budgets=${4:-"4 16 64"}; policy=${5:-models/policy.json}
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
csv=$(echo $budgets | tr ' ' ',')

echo "## policy fitted on $calibration"
ttc policy fit --runs "$calibration" --budgets "$csv" --probes weighted-bon-4 --out "$policy"
echo
echo "## the shipped bounds on the held-out problems of $heldout"
ttc policy fit --runs "$heldout" --budgets "$csv" --probes weighted-bon-4 --bounds "$policy" | sed -n 1p
echo
for n in $budgets; do
  [ -f "$heldout/compute-optimal-$n.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --n "$n" \
    --policy-file "$policy" --json "$heldout/compute-optimal-$n.json" --db "$heldout/compute-optimal-$n.db" >/dev/null 2>&1
done
PYTHONPATH=benchmarks python3 - "$heldout" "$budgets" <<'PY'
import sys
from evalruns import cell, header, load as load_from
out, budgets = sys.argv[1], sys.argv[2].split()
load = lambda name: load_from(out, name)
header("N", "compute-optimal: accuracy", "tokens / problem (probes included)", "FLOPs / problem", "weighted BoN: accuracy", "tokens / problem", "FLOPs / problem",
       "majority: accuracy", "tokens / problem")
rows = {}
for n in budgets:
    co, wb, mj = load(f"compute-optimal-{n}"), load(f"weighted-bon-{n}"), load(f"majority-{n}")
    rows[n] = (co, wb)
    print(f"| {n} | " + " | ".join(cell(co)) + " | " + " | ".join(cell(wb)) + " | " + " | ".join(cell(mj)[:2]) + " |")
top = max(budgets, key=int)
if rows[top][1]:
    target = rows[top][1]["accuracy"]; tokens = rows[top][1]["generated_tokens"] / rows[top][1]["problems"]
    reach = [(r[0]["generated_tokens"] / r[0]["problems"], n) for n, r in rows.items() if r[0] and r[0]["accuracy"] >= target]
    if reach:
        t, n = min(reach)
        print(f"\ncompute-optimal reaches weighted BoN@{top}'s {100*target:.1f}% at N = {n} with {t:.0f} tokens per problem: {t/tokens:.2f}x its {tokens:.0f}")
    else:
        print(f"\ncompute-optimal does not reach weighted BoN@{top}'s {100*target:.1f}% at any budget measured")
PY
