#!/usr/bin/env bash
# The project's version of Snell et al.'s comparison: accuracy against generated tokens for PRM-guided
# search (beam search with M = sqrt(N) and M = 4, lookahead k = 1, DVTS, MCTS) beside weighted
# best-of-N and majority voting, at N = 4, 16, 64, on the same held-out problems with the same models,
# each through `ttc eval` (embedded). Writes one JSON per run and a markdown table.
#   benchmarks/search.sh [PROBLEMS=200] [BUDGETS="4 16 64"]
set -euo pipefail
cd "$(dirname "$0")/.."
problems=${1:-200}; budgets=${2:-"4 16 64"}
out=${SEARCH_OUT:-$(mktemp -d /tmp/ttc-search.XXXXXX)}
mkdir -p "$out"
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
run() { # name, args...
  local name=$1; shift
  [ -f "$out/$name.json" ] || ttc eval data/arith/heldout.jsonl --limit "$problems" --seed 7 --json "$out/$name.json" --db "$out/$name.db" "$@" >/dev/null 2>&1
}
for n in $budgets; do
  run "majority-$n" --strategy self-consistency --n "$n"
  run "weighted-bon-$n" --strategy weighted-best-of-n --n "$n"
  run "beam-sqrt-$n" --strategy beam-search --n "$n"
  [ "$n" -ge 4 ] && run "beam-m4-$n" --strategy beam-search --n "$n" --beam-width 4
  run "lookahead1-$n" --strategy lookahead --n "$n" --lookahead 1
  run "dvts-$n" --strategy dvts --n "$n"
  run "mcts-$n" --strategy mcts --n "$n"
done
python3 - "$out" "$budgets" <<'PY'
import json, os, sys
out, budgets = sys.argv[1], sys.argv[2].split()
kinds = [("majority", "majority voting"), ("weighted-bon", "weighted best-of-N"), ("beam-sqrt", "beam search, M=√N"),
         ("beam-m4", "beam search, M=4"), ("lookahead1", "lookahead k=1 (M=√N)"), ("dvts", "DVTS (M=√N)"), ("mcts", "MCTS (branching √N, N/√N iterations)")]
levels = None
print("| strategy | N | accuracy | generated tokens / problem | FLOPs / problem | " + "level " + " | level ".join(str(l) for l in range(1, 7)) + " |")
print("|---|---|---|---|---|" + "---|" * 6)
for n in budgets:
    for key, label in kinds:
        path = os.path.join(out, f"{key}-{n}.json")
        if not os.path.exists(path):
            continue
        r = json.load(open(path))
        p = r["problems"]
        lv = " | ".join(f"{100*r['by_level'][str(l)]['accuracy']:.0f}%" if str(l) in r["by_level"] else "-" for l in range(1, 7))
        print(f"| {label} | {n} | {100*r['accuracy']:.1f}% | {r['generated_tokens']/p:.0f} | {r['flops']/p:.2e} | {lv} |")
PY
echo "(runs in $out)"
