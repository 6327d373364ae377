#!/usr/bin/env bash
# The project's version of Snell et al.'s comparison: accuracy against generated tokens for PRM-guided
# search (beam search with M = sqrt(N) and M = 4, lookahead k = 1, DVTS, MCTS) beside best-of-N,
# weighted best-of-N and majority voting, at N = 4, 16, 64, and greedy decoding, on the same held-out
# problems with the same models, each through `ttc eval` (embedded). Then Snell et al. §7: per level,
# gen-small's best strategy within the FLOPs of gen-large's greedy decoding (1x, 4x, 16x, 64x, 256x; verifier FLOPs
# included) against gen-large greedy. Writes one JSON and one SQLite database per run and markdown tables.
#   [SEARCH_DATA=FILE (default: the held-out set)] [SEARCH_OUT=DIR] benchmarks/search.sh [PROBLEMS=200] [BUDGETS="4 16 64"]
set -euo pipefail
cd "$(dirname "$0")/.."
problems=${1:-200}; budgets=${2:-"4 16 64"}; data=${SEARCH_DATA:-data/arith/heldout.jsonl}
out=${SEARCH_OUT:-$(mktemp -d /tmp/ttc-search.XXXXXX)}
mkdir -p "$out"
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
run() { # name, args...
  local name=$1; shift
  [ -f "$out/$name.json" ] || ttc eval "$data" --limit "$problems" --seed 7 --json "$out/$name.json" --db "$out/$name.db" "$@" >/dev/null 2>&1
}
run greedy-1 --strategy greedy
run large-greedy-1 --strategy greedy --generator gen-large
for n in $budgets; do
  run "bon-$n" --strategy best-of-n --n "$n"
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
kinds = [("greedy", "greedy"), ("large-greedy", "gen-large greedy"), ("bon", "best-of-N (PRM)"), ("majority", "majority voting"), ("weighted-bon", "weighted best-of-N"), ("beam-sqrt", "beam search, M=√N"),
         ("beam-m4", "beam search, M=4"), ("lookahead1", "lookahead k=1 (M=√N)"), ("dvts", "DVTS (M=√N)"), ("mcts", "MCTS (branching √N, N/√N iterations)")]
levels = None
print("| strategy | N | accuracy | generated tokens / problem | FLOPs / problem | " + "level " + " | level ".join(str(l) for l in range(1, 7)) + " |")
print("|---|---|---|---|---|" + "---|" * 6)
for n in ["1"] + budgets:
    for key, label in kinds:
        path = os.path.join(out, f"{key}-{n}.json")
        if not os.path.exists(path):
            continue
        r = json.load(open(path))
        p = r["problems"]
        lv = " | ".join(f"{100*r['by_level'][str(l)]['accuracy']:.0f}%" if str(l) in r["by_level"] else "-" for l in range(1, 7))
        print(f"| {label} | {n} | {100*r['accuracy']:.1f}% | {r['generated_tokens']/p:.0f} | {r['flops']/p:.2e} | {lv} |")
PY
echo
python3 - "$out" <<'PY'
import glob, os, sqlite3, sys
from collections import defaultdict
out = sys.argv[1]
def per_level(path):  # level -> (problems, correct, mean FLOPs per problem)
    c = sqlite3.connect(path)
    rows = c.execute("select p.level, count(*), sum(coalesce(r.correct, 0)), avg(r.flops) from runs r join problems p on p.id = r.problem_id group by p.level").fetchall()
    return {str(l): (n, k, f) for l, n, k, f in rows}
large = per_level(os.path.join(out, "large-greedy-1.db"))
small = {os.path.basename(p)[:-3]: per_level(p) for p in glob.glob(os.path.join(out, "*.db")) if not os.path.basename(p).startswith("large-")}
levels = sorted(large, key=int)
print("Small against large at matched FLOPs (per level; FLOPs per problem include the verifier's):")
print("| level | gen-large greedy | gen-small best at 1x | at 4x | at 16x | at 64x | at 256x |")
print("|---|---|---|---|---|---|---|")
for l in levels:
    n, k, f = large[l]
    cells = [f"{100*k/n:.0f}% ({f:.2e} FLOPs)"]
    for mult in (1, 4, 16, 64, 256):
        fits = [(v[l][1] / v[l][0], name, v[l][2]) for name, v in small.items() if l in v and v[l][2] <= mult * f]
        if fits:
            acc, name, flops = max(fits)
            cells.append(f"{100*acc:.0f}% {name} ({flops/f:.1f}x){' ✓' if acc >= k / n else ''}")
        else:
            cells.append("nothing fits")
    print(f"| {l} | " + " | ".join(cells) + " |")
print("✓: the small model with test-time compute matches or beats gen-large greedy at that level within the budget.")
PY
echo "(runs in $out)"
