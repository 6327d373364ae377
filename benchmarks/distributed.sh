#!/usr/bin/env bash
# Throughput of distributed mode (four processes over RabbitMQ + PostgreSQL, started by
# scripts/up.sh) against `ttc eval` (one process) on the same problems with the same strategy.
#   [TTC_ARGS="--generator hf-arith --verifier hf-arith-prm --aggregation min"] benchmarks/distributed.sh [N=200] [STRATEGY=weighted-best-of-n] [SAMPLES=16] [WARMUP=0]
# TTC_ARGS: further batch options, the same for both modes (models by catalog name).
# WARMUP > 0 first runs a batch of the first WARMUP problems with another seed (not measured), in the
# embedded process (ttc eval --warmup) and through the distributed stack alike, so both are measured
# past their first-batch JIT and query compilation, as long-running services are.
# TIMELINE=1 also prints the cores each process used every 0.5 s of the measured batch (benchmarks/cpu-timeline.py);
# with TIMELINE_THREADS=Generator (or another service), that service's busiest threads instead.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}; strategy=${2:-weighted-best-of-n}; samples=${3:-16}; warmup=${4:-0}
work=$(mktemp -d /tmp/ttc-distributed.XXXXXX)
dotnet build Platform.sln -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }

echo "embedded: ttc eval --limit $n --strategy $strategy --n $samples"
start=$(date +%s.%N)
ttc eval data/arith/heldout.jsonl --limit "$n" --strategy "$strategy" --n "$samples" --seed 7 --warmup "$warmup" ${TTC_ARGS:-} --json "$work/embedded.json" --db "$work/embedded.db" >/dev/null 2>&1
embedded=$(python3 -c "import json; print(json.load(open('$work/embedded.json'))['wall_seconds'])")
echo "  batch wall time ${embedded} s (process wall $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s)"

. benchmarks/stack.sh
cpu_snapshot() { # name, user ticks, system ticks per line, for the platform's processes
  for pid in $(pgrep -f 'Platform\.(Router|Aggregator|Generator|Verifier)\.dll') $(pgrep -f beam.smp) $(pgrep -x postgres); do
    name=$(tr '\0' ' ' </proc/$pid/cmdline | grep -oE 'Platform\.[A-Za-z]+|beam\.smp|postgres' | head -1)
    read -r -a f < /proc/$pid/stat
    echo "$name ${f[13]} ${f[14]}"
  done | awk '{u[$1]+=$2; s[$1]+=$3} END {for (k in u) print k, u[k], s[k]}'
}
if [ "$warmup" -gt 0 ]; then
  echo "warm-up: the first $warmup problems with seed 8 through the distributed stack, not measured"
  wid=$(ttc submit data/arith/heldout.jsonl --limit "$warmup" --strategy "$strategy" --n "$samples" --seed 8 ${TTC_ARGS:-} 2>/dev/null)
  ttc status "$wid" --wait >/dev/null 2>&1
fi
cpu_snapshot >"$work/cpu-before"
echo "distributed: ttc submit --limit $n --strategy $strategy --n $samples (Router, Aggregator, Generator, Verifier as four processes)"
[ -n "${TIMELINE:-}" ] && { benchmarks/cpu-timeline.py ${TIMELINE_THREADS:+--threads "$TIMELINE_THREADS"} "${TIMELINE_SECONDS:-25}" >"$work/timeline.md" & timeline=$!; }
# One client process sends the batch and watches it (ttc submit --wait): started, connected to the broker and the
# database before the batch is stamped submitted, then one SQL statement per poll.
/usr/bin/time -o "$work/client" -f '%U %S' dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll submit data/arith/heldout.jsonl --limit "$n" --strategy "$strategy" --n "$samples" --seed 7 ${TTC_ARGS:-} \
  --wait --json "$work/distributed.json" >"$work/submit.out" 2>/dev/null
id=$(head -1 "$work/submit.out")
[ -n "${TIMELINE:-}" ] && { wait "$timeline" || true; echo "cores used every 0.5 s from the submission (TIMELINE=1):"; cat "$work/timeline.md"; }
cpu_snapshot | sort >"$work/cpu-after"; sort -o "$work/cpu-before" "$work/cpu-before"
distributed=$(python3 -c "import json; print(json.load(open('$work/distributed.json'))['wall_seconds'])")
echo "  batch wall time ${distributed} s"

echo
echo "where the time goes (device time = ONNX Runtime wall time attributed to requests, summed):"
python3 - "$work/embedded.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for kind, n, ms in c.execute("select kind, count(*), sum(device_milliseconds) from compute_usage where batch_id = (select id from batches where name <> 'warm-up' order by submitted_at desc limit 1) group by kind"):
    print(f"  embedded    {kind:9} {n:5} requests  {ms/1000:6.1f} s device time")
PY
pgport=$(echo "$TTC_POSTGRES" | grep -oP 'Port=\K[0-9]+')
# How fast the runs got going: when each run's first request was stored (the Aggregator starting it), from the batch's submission.
psql -h 127.0.0.1 -p "$pgport" -U postgres -At -F ' ' -c "select round(extract(epoch from percentile_cont(0.5) within group (order by rr.created_at - b.submitted_at))::numeric, 2),
  round(extract(epoch from max(rr.created_at - b.submitted_at))::numeric, 2) from ttc.run_rounds rr join ttc.runs r on r.id = rr.run_id join ttc.batches b on b.id = r.batch_id
  where b.id = '$id' and rr.index = 0" | while read -r median last; do echo "  distributed runs started: half by ${median} s, all by ${last} s after submission"; done
psql -h 127.0.0.1 -p "$pgport" -U postgres -At -F ' ' -c "select kind, count(*), round(sum(device_milliseconds)::numeric/1000,1) from ttc.compute_usage where batch_id = '$id' group by kind" \
  | while read -r kind n s; do printf '  distributed %-9s %5s requests  %6s s device time\n' "$kind" "$n" "$s"; done
echo "CPU seconds each part used while the batch ran (2 cores = $(awk -v w="$distributed" 'BEGIN{printf "%.0f", 2*w}') core-seconds available):"
join "$work/cpu-before" <(sort "$work/cpu-after") 2>/dev/null | awk -v t="$(getconf CLK_TCK)" \
  '{printf "  %-22s %5.1f s  (user %.1f, system %.1f)\n", $1, ($4-$2+$5-$3)/t, ($4-$2)/t, ($5-$3)/t}'
awk '{printf "  %-22s %5.1f s  (user %.1f, system %.1f)\n", "client: ttc submit --wait", $1+$2, $1, $2}' "$work/client"
for s in Generator Verifier Aggregator; do
  url=$(grep -oE 'Now listening on: [^ ]+' "$work/$s.log" | head -1 | awk '{print $4}')
  curl -s "$url/metrics" >"$work/$s.metrics" || true
done
python3 - "$work/embedded.json" "$work/distributed.json" "$work/Generator.metrics" "$work/Verifier.metrics" "$work/Aggregator.metrics" <<'PY'
import json, re, sys
e, d = (json.load(open(p)) for p in sys.argv[1:3])
def mean(path, name):
    text = open(path).read()
    total = sum(float(v) for v in re.findall(rf"^{name}_sum(?:{{[^}}]*}})? (\S+)", text, re.M))
    count = sum(float(v) for v in re.findall(rf"^{name}_count(?:{{[^}}]*}})? (\S+)", text, re.M))
    return total / count if count else float("nan")
b = e.get("batching", {})
print(f"mean rows per decode step: embedded {b.get('mean_rows_per_decode_step', float('nan')):.1f}, distributed {mean(sys.argv[3], 'ttc_generation_batch_rows'):.1f}; "
      f"per scoring pass: embedded {b.get('mean_rows_per_scoring_pass', float('nan')):.1f}, distributed {mean(sys.argv[4], 'ttc_scoring_batch_rows'):.1f}; "
      f"replies per Aggregator transaction (warm-up included): {mean(sys.argv[5], 'ttc_aggregator_reply_batch'):.1f}")
print(f"| mode | problems | accuracy | generated tokens | wall s | problems/s |")
print(f"|---|---|---|---|---|---|")
for name, r in (("embedded (ttc eval)", e), ("distributed (4 processes)", d)):
    print(f"| {name} | {r['problems']} | {100*r['accuracy']:.1f}% | {r['generated_tokens']:,} | {r['wall_seconds']:.1f} | {r['problems']/r['wall_seconds']:.2f} |")
print(f"distributed / embedded throughput = {e['wall_seconds']/d['wall_seconds']:.2f}x (goal >= 0.9x)")
PY
