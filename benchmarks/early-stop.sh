#!/usr/bin/env bash
# Early stopping and token budgets in the compute-optimal policy (issue 11's 1/4-of-tokens goal):
#  1. sequential revisions N/2:2 that stop once settled (the sweep grid's revisions-pN/2-N-stop cells:
#     chains one at a time, stop when the verifier-weighted leader has 0.5 of weight and half of all,
#     give up after N/4 chains with no answer above 0.5) on the calibration and the held-out problems;
#  2. two policies fitted on the calibration runs with budgets counted in tokens (a configuration fits
#     budget N in a bin when it spends no more than N samples cost there) and the cross-validated
#     uniform-vs-per-bin guard: one on predicted difficulty (4 probes), one on oracle difficulty;
#  3. compute-optimal routing by each on the held-out problems at every budget, beside the early-stop
#     configuration alone and weighted best-of-N / majority (smaller N subsampled from the 64-sample runs).
#   benchmarks/early-stop.sh CALIBRATION_RUNS HELDOUT_RUNS [PROBLEMS=200] [BUDGETS="4 8 16 32 64"]
set -euo pipefail
cd "$(dirname "$0")/.."
calibration=$1; heldout=$2; problems=${3:-200}; budgets=${4:-"4 8 16 32 64"}
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
csv=$(echo $budgets | tr ' ' ',')

stop_cells() { # data, folder
  for n in $budgets; do
    [ "$n" -ge 8 ] || continue
    local name="revisions-p$((n / 2))-$n-stop"
    [ -f "$2/$name.json" ] || ttc eval "$1" --limit "$problems" --seed 7 --strategy sequential-revisions --n "$n" --chains $((n / 2)) --chain-length 2 \
      --early-stop "wave=1,weight=0.5,share=0.5,give-up-after=$((n / 4)),give-up-weight=0.5" --json "$2/$name.json" --db "$2/$name.db" >/dev/null 2>&1
  done
}
stop_cells data/arith/calibration.jsonl "$calibration"
stop_cells data/arith/heldout.jsonl "$heldout"

echo "## policies fitted on $calibration (budgets in tokens, uniform-vs-per-bin guard)"
ttc policy fit --runs "$calibration" --budgets "$csv" --probes weighted-bon-4 --budget-by tokens --compare-uniform --out "$calibration/policy-tokens.json"
ttc policy fit --runs "$calibration" --budgets "$csv" --known-difficulty --budget-by tokens --compare-uniform --out "$calibration/policy-tokens-oracle.json"
echo
echo "## weighted best-of-N and majority on $heldout (as run or subsampled)"
ttc policy fit --runs "$heldout" --budgets "$csv" --probes weighted-bon-4 --bounds "$calibration/policy-tokens.json" | tail -n $(( $(echo $budgets | wc -w) + 4 ))
for n in $budgets; do
  [ -f "$heldout/co-tokens-$n.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --n "$n" \
    --policy-file "$calibration/policy-tokens.json" --json "$heldout/co-tokens-$n.json" --db "$heldout/co-tokens-$n.db" >/dev/null 2>&1
  [ -f "$heldout/co-tokens-oracle-$n.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --n "$n" \
    --difficulty oracle --oracle-runs "$heldout/majority-64.db" --policy-file "$calibration/policy-tokens-oracle.json" \
    --json "$heldout/co-tokens-oracle-$n.json" --db "$heldout/co-tokens-oracle-$n.db" >/dev/null 2>&1
done
echo
PYTHONPATH=benchmarks python3 - "$heldout" "$budgets" <<'PY'
import sys
from evalruns import cell, header, load as load_from
out, budgets = sys.argv[1], sys.argv[2].split()
load = lambda name: load_from(out, name)
header("N", "compute-optimal, predicted: accuracy", "tokens / problem (probes included)", "FLOPs / problem", "oracle: accuracy", "tokens / problem",
       "FLOPs / problem", "revisions N/2:2 stopping early: accuracy", "tokens / problem")
for n in budgets:
    p, o, s = load(f"co-tokens-{n}"), load(f"co-tokens-oracle-{n}"), load(f"revisions-p{int(n)//2}-{n}-stop")
    print(f"| {n} | " + " | ".join(cell(p)) + " | " + " | ".join(cell(o)) + " | " + " | ".join(cell(s)[:2]) + " |")
ref = load("weighted-bon-64")
if ref:
    target, tokens, flops = ref["accuracy"], ref["generated_tokens"] / ref["problems"], ref["flops"] / ref["problems"]
    for label, prefix in (("predicted", "co-tokens-"), ("oracle", "co-tokens-oracle-")):
        reach = [(r["generated_tokens"] / r["problems"], r["flops"] / r["problems"], n) for n in budgets if (r := load(prefix + n)) and r["accuracy"] >= target]
        if reach:
            t, f, n = min(reach)
            print(f"\n{label} difficulty: compute-optimal reaches weighted BoN@64's {100*target:.1f}% at N = {n} with {t:.0f} tokens per problem: "
                  f"{t/tokens:.2f}x its {tokens:.0f} tokens, {f/flops:.2f}x its FLOPs")
        else:
            print(f"\n{label} difficulty: compute-optimal does not reach weighted BoN@64's {100*target:.1f}% at any budget measured")
PY

# The plots: each series under a name that says what it is (the report names series by file).
plots=$(mktemp -d /tmp/ttc-early-stop.XXXXXX)
for n in $budgets; do
  for pair in "weighted-bon-$n:weighted-bon-$n" "majority-$n:majority-$n" "co-revisions-$n:compute-optimal-by-samples-$n" \
              "co-tokens-$n:compute-optimal-predicted-$n" "co-tokens-oracle-$n:compute-optimal-oracle-$n" "revisions-p$((n / 2))-$n-stop:revisions-stopping-$n"; do
    if [ -f "$heldout/${pair%%:*}.json" ]; then cp "$heldout/${pair%%:*}.json" "$plots/${pair##*:}.json"; fi
  done
done
cp "$heldout/greedy-1.json" "$plots/"
ttc report --eval "$plots"/*.json --large "$heldout/large-greedy-1.json" --out docs/plots/early-stop | tail -1
rm -rf "$plots"
