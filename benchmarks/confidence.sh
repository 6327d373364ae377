#!/usr/bin/env bash
# Confidence-aware compute (issue 32) on the arithmetic models, every run through `ttc eval` (embedded):
#  1. the sweep grid's sampling and confidence cells on the calibration and the held-out problems
#     (greedy; best-of-N, majority, weighted best-of-N; confidence voting, DeepConf online; majority and
#     weighted best-of-N stopped early) at N = 4, 16, 64;
#  2. the held-out table: accuracy, generated tokens and FLOPs per problem, and both as a share of
#     weighted best-of-64's (measured in the same sweep);
#  3. policies fitted on the calibration sweep with budgets in FLOPs: difficulty from the verifier's
#     scores of 2 probes and of 4 probes, and from the generator's confidence in 4 unscored probes (the
#     fit prints each signal's agreement with the oracle bins);
#  4. compute-optimal on the held-out problems at FLOPs budgets per problem, against weighted best-of-64;
#  5. plots of accuracy against tokens and FLOPs (ttc report), and how well the generator's confidence
#     and the verifier's score tell right samples from wrong ones (benchmarks/confidence-auroc.py).
#  6. with SHIPPED=1: the search and revision cells on the calibration problems too, and the policy
#     fitted over every cell (2 scored probes, FLOPs) as models/policy.json is, run on the held-out
#     problems at its default budget and at the FLOPs budgets.
# PROBLEMS held-out problems are run; CALIBRATION (default: as many) calibration problems are swept and fitted on.
#   [SHIPPED=1] [CALIBRATION=N] benchmarks/confidence.sh [PROBLEMS=200] [OUT=runs/confidence] [BUDGETS="2.66e9 4.2e9"]
set -euo pipefail
cd "$(dirname "$0")/.."
problems=${1:-200}; out=${2:-runs/confidence}; budgets=${3:-"2.66e9 4.2e9"}; calibration=${CALIBRATION:-$problems}
mkdir -p "$out"
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
strategies=greedy,best-of-n,self-consistency,weighted-best-of-n,confidence-vote,deepconf
ttc sweep run --key confidence-cal --data data/arith/calibration.jsonl --limit "$calibration" --budgets 4,16,64 --strategies "$strategies" --out "$out/cal" >/dev/null
[ -f "$out/cal/weighted-bon-2.json" ] || ttc eval data/arith/calibration.jsonl --limit "$calibration" --seed 7 --strategy weighted-best-of-n --n 2 \
  --json "$out/cal/weighted-bon-2.json" --db "$out/cal/weighted-bon-2.db" >/dev/null 2>&1
ttc sweep run --key confidence-held --data data/arith/heldout.jsonl --limit "$problems" --budgets 4,16,64 --strategies "$strategies" --out "$out/held" >/dev/null

echo "## held-out cells (first $problems problems, seed 7)"
python3 - "$out/held" <<'PY'
import json, glob, os, sys
rows = {os.path.basename(f)[:-5]: json.load(open(f)) for f in glob.glob(os.path.join(sys.argv[1], "*.json"))}
base = rows["weighted-bon-64"]
bt, bf = base["generated_tokens"] / base["problems"], base["flops"] / base["problems"]
print("| cell | accuracy | tokens / problem | FLOPs / problem | tokens vs weighted BoN@64 | FLOPs vs weighted BoN@64 |")
print("|---|---|---|---|---|---|")
for name in sorted(rows, key=lambda n: (n.rsplit("-", 1)[0], int(n.rsplit("-", 1)[1]))):  # SERIES-N
    r = rows[name]; t = r["generated_tokens"] / r["problems"]; f = r["flops"] / r["problems"]
    print(f"| {name} | {100*r['accuracy']:.1f}% | {t:.0f} | {f:.2e} | {t/bt:.3f}x | {f/bf:.3f}x |")
PY

echo
echo "## how well each signal tells right samples from wrong ones (ROC AUC; window 2048 = whole trace, and 8 tokens)"
python3 benchmarks/confidence-auroc.py "$out/held/weighted-bon-64.db" "$out/held/confidence-vote-64.db"
echo
echo "## policy: difficulty from the verifier's scores of 2 probes, budgets in FLOPs"
ttc policy fit --runs "$out/cal" --probes weighted-bon-2 --budget-by flops --budgets 2,4,8,16,32,64 --out "$out/policy-score2.json"
echo "## policy: difficulty from the verifier's scores of 4 probes, budgets in FLOPs"
ttc policy fit --runs "$out/cal" --probes weighted-bon-4 --budget-by flops --budgets 4,8,16,32,64 --out "$out/policy-score4.json" | head -3
echo "## policy: difficulty from the generator's confidence in 4 unscored probes"
ttc policy fit --runs "$out/cal" --probes majority-4 --probe-signal confidence --budget-by flops --budgets 4,8,16,32,64 --out "$out/policy-confidence.json" | head -2
echo
echo "## compute-optimal on the held-out problems (FLOPs budget per problem)"
for signal in score2 score4 confidence; do
  for b in $budgets; do
    [ -f "$out/co-$signal-$b.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --policy-file "$out/policy-$signal.json" \
      --budget "$b" --budget-unit flops --json "$out/co-$signal-$b.json" --db "$out/co-$signal-$b.db" >/dev/null 2>&1 || true # a refused budget is a row too
  done
done
python3 - "$out" "$budgets" <<'PY'
import json, os, sys
out, budgets = sys.argv[1], sys.argv[2].split()
base = json.load(open(os.path.join(out, "held", "weighted-bon-64.json")))
bt, bf = base["generated_tokens"] / base["problems"], base["flops"] / base["problems"]
print(f"weighted BoN@64: {100*base['accuracy']:.1f}%, {bt:.0f} tokens, {bf:.2e} FLOPs per problem")
print("| difficulty from (probes) | FLOPs budget / problem | accuracy | tokens / problem (probes included) | FLOPs / problem | tokens vs weighted BoN@64 | FLOPs vs weighted BoN@64 |")
print("|---|---|---|---|---|---|---|")
for signal in ("score2", "score4", "confidence"):
    for b in budgets:
        r = json.load(open(os.path.join(out, f"co-{signal}-{b}.json")))
        if r.get("rejection"):
            print(f"| {signal} | {float(b):.2e} | refused: {r['rejection']} | | | | |")
            continue
        t, f = r["generated_tokens"] / r["problems"], r["flops"] / r["problems"]
        print(f"| {signal} | {float(b):.2e} | {100*r['accuracy']:.1f}% | {t:.0f} | {f:.2e} | {t/bt:.3f}x | {f/bf:.3f}x |")
PY
ttc report --sweep confidence-held --sweep-db "$out/held/sweep.db" --out "$out/report" >/dev/null && echo "plots: $out/report"

[ "${SHIPPED:-0}" = 1 ] || exit 0
echo
echo "## every cell (search and revisions too), 2 scored probes, budgets in FLOPs: the shipped policy's fit"
ttc sweep run --key confidence-cal-search --data data/arith/calibration.jsonl --limit "$calibration" --budgets 4,16,64 --strategies beam-search,sequential-revisions \
  --out "$out/cal-search" >/dev/null
mkdir -p "$out/cal-all"
for f in "$out"/cal/*.db "$out"/cal-search/*.db; do [ "$(basename "$f")" = sweep.db ] || ln -sf "$(realpath "$f")" "$out/cal-all/$(basename "$f")"; done
ttc policy fit --runs "$out/cal-all" --probes weighted-bon-2 --budget-by flops --compare-uniform --budgets 2,4,8,16,32,64 --out "$out/policy-shipped.json" | head -3
[ -f "$out/shipped-default.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --policy-file "$out/policy-shipped.json" \
  --json "$out/shipped-default.json" --db "$out/shipped-default.db" >/dev/null 2>&1
[ -f "$out/shipped-n64.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --n 64 --policy-file "$out/policy-shipped.json" \
  --json "$out/shipped-n64.json" --db "$out/shipped-n64.db" >/dev/null 2>&1
for b in $budgets; do
  [ -f "$out/shipped-$b.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --strategy compute-optimal --policy-file "$out/policy-shipped.json" \
    --budget "$b" --budget-unit flops --json "$out/shipped-$b.json" --db "$out/shipped-$b.db" >/dev/null 2>&1 || true
done
python3 - "$out" "$budgets" <<'PY'
import json, os, sys
out, budgets = sys.argv[1], sys.argv[2].split()
base = json.load(open(os.path.join(out, "held", "weighted-bon-64.json")))
bt, bf = base["generated_tokens"] / base["problems"], base["flops"] / base["problems"]
print("| budget | accuracy | tokens / problem | FLOPs / problem | tokens vs weighted BoN@64 | FLOPs vs weighted BoN@64 |")
print("|---|---|---|---|---|---|")
for name, label in [("shipped-default", "default (32 samples' worth of FLOPs)"), ("shipped-n64", "64 samples' worth of FLOPs")] + [(f"shipped-{b}", f"{float(b):.2e} FLOPs / problem") for b in budgets]:
    r = json.load(open(os.path.join(out, name + ".json")))
    if r.get("rejection"):
        print(f"| {label} | refused: {r['rejection']} | | | | |")
        continue
    t, f = r["generated_tokens"] / r["problems"], r["flops"] / r["problems"]
    print(f"| {label} | {100*r['accuracy']:.1f}% | {t:.0f} | {f:.2e} | {t/bt:.3f}x | {f/bf:.3f}x |")
PY
