#!/usr/bin/env bash
# Search at the cost of sampling (issue 29): beam search, DVTS, lookahead and MCTS against weighted
# best-of-N at the same N, each through `ttc eval` (embedded) on the same problems and seed, once with
# the prefix KV caches (the default) and once with them off (Inference__PrefixCacheMegabytes=0). Prints
# one markdown table: accuracy (which the cache must not change), FLOPs and wall time per problem, their
# ratio to weighted best-of-N with the cache, and the caches' hit rates: tokens found in each tree of those looked
# up, and the share of the verifier's scored tokens it did not compute (found in its tree, or a repeat of a solution
# scored in the same call). JSON per run in $SEARCH_COST_OUT.
#   [SEARCH_COST_DATA=FILE (default: the held-out set)] [SEARCH_COST_OUT=DIR] benchmarks/search-cost.sh [PROBLEMS=200] [BUDGETS="16 64"]
set -euo pipefail
cd "$(dirname "$0")/.."
problems=${1:-200}; budgets=${2:-"16 64"}; data=${SEARCH_COST_DATA:-data/arith/heldout.jsonl}
out=${SEARCH_COST_OUT:-$(mktemp -d /tmp/ttc-search-cost.XXXXXX)}
mkdir -p "$out"
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
run() { # name, args... : with the cache, then without it, one after the other so both see the same machine
  local name=$1; shift
  [ -f "$out/$name-cached.json" ] || ttc eval "$data" --limit "$problems" --seed 7 --json "$out/$name-cached.json" --db "$out/$name-cached.db" "$@" >"$out/$name-cached.log" 2>&1
  [ -f "$out/$name-uncached.json" ] || Inference__PrefixCacheMegabytes=0 ttc eval "$data" --limit "$problems" --seed 7 \
    --json "$out/$name-uncached.json" --db "$out/$name-uncached.db" "$@" >"$out/$name-uncached.log" 2>&1
}
for n in $budgets; do
  run "weighted-bon-$n" --strategy weighted-best-of-n --n "$n"
  run "beam-$n" --strategy beam-search --n "$n"
  run "dvts-$n" --strategy dvts --n "$n"
  run "lookahead1-$n" --strategy lookahead --n "$n" --lookahead 1
  run "mcts-$n" --strategy mcts --n "$n"
done
python3 - "$out" "$budgets" <<'PY'
import json, os, sqlite3, sys
out, budgets = sys.argv[1], sys.argv[2].split()
kinds = [("weighted-bon", "weighted best-of-N"), ("beam", "beam search, M=√N"), ("dvts", "DVTS (M=√N)"),
         ("lookahead1", "lookahead k=1 (M=√N)"), ("mcts", "MCTS")]
def distinct(db):  # candidates stored, and how many of them differ in text from the others of their run
    with sqlite3.connect(os.path.join(out, db)) as c:
        total, unique = c.execute("select count(*), count(distinct run_id || '|' || text) from candidates").fetchone()
    return f"{total:,} ({unique:,})"
def rate(r, key):
    c = (r.get("batching") or {}).get(key)
    return f"{100 * c['hit_rate']:.0f}%" if c and c["looked_up_tokens"] else "-"
print("| strategy | N | accuracy (cached / not) | FLOPs / problem, cached | not cached | × weighted BoN (FLOPs) | wall s, cached | not cached | × weighted BoN (wall) | prompt tokens computed, cached ÷ not | scored tokens computed, cached ÷ not | generator hit rate | verifier hit rate | verifier tokens not computed | candidates (distinct in their run) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for n in budgets:
    base = json.load(open(os.path.join(out, f"weighted-bon-{n}-cached.json")))
    for key, label in kinds:
        a = json.load(open(os.path.join(out, f"{key}-{n}-cached.json")))
        b = json.load(open(os.path.join(out, f"{key}-{n}-uncached.json")))
        p = a["problems"]
        same = "" if a["correct"] == b["correct"] else " **differs**"
        print(f"| {label} | {n} | {100*a['accuracy']:.1f}% / {100*b['accuracy']:.1f}%{same} | {a['flops']/p:.2e} | {b['flops']/p:.2e} | "
              f"{a['flops']/base['flops']:.2f} | {a['wall_seconds']:.0f} | {b['wall_seconds']:.0f} | {a['wall_seconds']/base['wall_seconds']:.2f} | "
              f"{a['prompt_tokens']/b['prompt_tokens']:.1%} | {(a['scored_tokens']-a['cached_scored_tokens'])/(b['scored_tokens']-b['cached_scored_tokens']):.1%} | "
              f"{rate(a, 'generator_prefix_cache')} | {rate(a, 'verifier_prefix_cache')} | {a['cached_scored_tokens']/a['scored_tokens']:.1%} | {distinct(key + '-' + n + '-cached.db')} |")
PY
echo "runs: $out"
