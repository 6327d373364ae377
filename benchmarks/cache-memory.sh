#!/usr/bin/env bash
# Worker memory under the prefix caches' bound (issue 29, decision 0022): one large beam-search batch of
# fresh problems through the distributed stack (scripts/up.sh: one Generator, one Verifier), sampling
# every 30 s each worker's resident memory (/proc), the bytes its prefix cache holds and its managed heap
# (the last PrefixCacheReport lines of its log, written once a minute). Samples go to $work/memory.tsv as they are
# taken, so a run stopped early still shows what it reached.
#   [Inference__PrefixCacheMegabytes=512] benchmarks/cache-memory.sh [PROBLEMS=10000] [N=16]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; samples=${2:-16}
work=$(mktemp -d /tmp/ttc-cache-memory.XXXXXX)
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
dotnet tools/Platform.Training/bin/Release/net10.0/ttc-train.dll problems --count "$n" --seed 2041 --heldout data/arith/heldout.jsonl \
  --out "$work/problems.jsonl" >/dev/null

. benchmarks/stack.sh

ttc submit "$work/problems.jsonl" --strategy beam-search --n "$samples" --seed 7 --wait --json "$work/batch.json" >"$work/submit.out" 2>&1 & submit=$!
start=$(date +%s)
printf 'seconds\trouter_finished_runs\tgenerator_rss_mb\tgenerator_cache_mb\tverifier_rss_mb\tverifier_cache_mb\tgenerator_managed_mb\tverifier_managed_mb\n' >"$work/memory.tsv"
pgport=$(cat "$TTC_TEST_SERVICES_DIR/pg/port")
while kill -0 "$submit" 2>/dev/null; do
  row="$(( $(date +%s) - start ))"
  row+="\t$(psql -h 127.0.0.1 -p "$pgport" -U postgres -At -c "select count(*) from ttc.runs where status in ('completed','failed')" 2>/dev/null || echo -)"
  for service in Generator Verifier; do
    pid=$(pgrep -f "Platform\.$service\.dll" | head -1)
    rss=$(awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo -)
    held=$(grep -o 'prefix cache ([a-z]*): .*' "$work/$service.log" | tail -1 | grep -oE '[0-9]+ MB held' | grep -oE '^[0-9]+' || echo -)
    row+="\t$rss\t${held:--}"
  done
  for service in Generator Verifier; do # the managed heap (the trees' arrays are on it), from the same report
    managed=$(grep -oE 'managed heap: [0-9]+ MB' "$work/$service.log" | tail -1 | grep -oE '[0-9]+' || echo -)
    row+="\t${managed:--}"
  done
  printf '%b\n' "$row" >>"$work/memory.tsv"
  sleep 30
done
wait "$submit" || true
kill -TERM "$up"; wait "$up" 2>/dev/null || true # the workers log their caches' totals as they stop

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "memory.tsv"))][1:]
def col(i): return [int(r[i]) for r in rows if r[i].isdigit()]
for name, rss, held in (("Generator", 2, 3), ("Verifier", 4, 5)):
    r, h = col(rss), col(held)
    if r:
        print(f"{name}: RSS {r[0]} MB at start, {max(r)} MB at most, {r[-1]} MB at the end ({len(r)} samples); cache held at most {max(h) if h else '-'} MB")
data = [r for r in rows if r[2].isdigit() and r[4].isdigit()]
q = len(data) // 4
for i in range(4):  # does memory level off once the caches are full? mean and max per quarter of the run
    part = data[i * q:(i + 1) * q if i < 3 else len(data)]
    g, v = [int(r[2]) for r in part], [int(r[4]) for r in part]
    print(f"quarter {i + 1}: {part[0][0]}-{part[-1][0]} s, runs {part[0][1]} -> {part[-1][1]}, Generator RSS mean {sum(g) // len(g)} max {max(g)} MB, "
          f"Verifier RSS mean {sum(v) // len(v)} max {max(v)} MB, caches {min(int(r[3]) for r in part if r[3].isdigit()) if any(r[3].isdigit() for r in part) else '-'}"
          f"-{max((int(r[5]) for r in part if r[5].isdigit()), default='-')} MB, managed heaps at most "
          f"{max((int(r[6]) for r in part if r[6].isdigit()), default='-')} / {max((int(r[7]) for r in part if r[7].isdigit()), default='-')} MB")
for service in ("Generator", "Verifier"):
    lines = [l for l in open(os.path.join(work, f"{service}.log")) if "prefix cache (" in l]
    if lines:
        print(f"{service} at stop: {lines[-1].split('] ', 1)[-1].strip()}")
b = os.path.join(work, "batch.json")
if os.path.exists(b):
    r = json.load(open(b))
    print(f"batch: {r['ended']} of {r['problems']} ended, accuracy {100*r['accuracy']:.1f}%, {r['failed']} failed, wall {r['wall_seconds']:.0f} s")
print(f"samples: {work}/memory.tsv")
PY
