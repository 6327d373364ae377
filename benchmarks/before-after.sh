#!/usr/bin/env bash
# The pipeline rows of docs/benchmarks.md on two built checkouts in turn (a refactor's "same results"
# check, issue 24): per round and checkout, the Generator alone (ttc-bench generation, mode c; ttc-bench
# continuous, the engine on 200 prompts x 16), majority@16 through the embedded pipeline (ttc eval),
# and weighted best-of-16 distributed against embedded (distributed.sh with a 100-problem warm-up).
# Identical runs move by 10-30% on a shared 2-core machine, so the two builds alternate and every row
# is printed as it comes.
#   benchmarks/before-after.sh BEFORE_CHECKOUT AFTER_CHECKOUT [ROUNDS=3] [PROBLEMS=200]
# Each checkout must be built (dotnet build Platform.sln -c Release) and have its models/.
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); rounds=${3:-3}; problems=${4:-200}
work=$(mktemp -d /tmp/ttc-before-after.XXXXXX)
parse=$(cd "$(dirname "$0")" && pwd)/before-after.py
printf '| round | build | generation (c) tok/s | continuous tok/s | embedded majority@16 s | its tokens | embedded wBoN@16 s | distributed s | distributed / embedded | accuracy | tokens |\n|---|---|---|---|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$rounds"); do
  for build in before after; do
    cd "${!build}"
    out=$work/$build-$round
    dotnet benchmarks/Platform.Benchmarks/bin/Release/net10.0/ttc-bench.dll generation --model models/gen-small --samples 64 --repeats 5 >"$out-generation.md" 2>&1 || true
    dotnet benchmarks/Platform.Benchmarks/bin/Release/net10.0/ttc-bench.dll continuous --model models/gen-small --file data/arith/heldout.jsonl --limit "$problems" \
      --samples 16 --max-rows 64 --repeats 2 >"$out-continuous.md" 2>&1 || true
    dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll eval data/arith/heldout.jsonl --limit "$problems" --strategy self-consistency --n 16 --seed 7 \
      --json "$out-majority.json" --db "$out-majority.db" >/dev/null 2>&1 || true
    benchmarks/distributed.sh "$problems" weighted-best-of-n 16 100 >"$out-distributed.log" 2>&1 || true
    python3 "$parse" "$round" "$build" "$out"
  done
done
echo "outputs in $work"
