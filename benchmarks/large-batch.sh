#!/usr/bin/env bash
# A 100,000-problem batch over HTTP against the distributed stack (scripts/up.sh): how long until it is
# accepted (202), until its first run is dispatched (first request sent to a worker), until its first
# run is answered, and until every problem is planned. The batch is cancelled afterwards.
#   benchmarks/large-batch.sh [PROBLEMS=100000] [STRATEGY=greedy] [router-only|complete [SMALL_AFTER=60]]
# router-only: Aggregator, Generator and Verifier are paused (SIGSTOP) while the Router plans, so the
# figure is the Router's own; the plans wait on the broker. Otherwise the whole stack runs the batch.
# complete: the batch runs to the end (its throughput, problems per second from submission to completion),
# and SMALL_AFTER seconds in, a second key submits a 10-problem greedy batch (its time to completion).
# Router:Admission settings come from the environment (Router__Admission__MaxRunsInFlight=0: no fair share).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}; strategy=${2:-greedy}; mode=${3:-full}; small_after=${4:-60}
work=$(mktemp -d /tmp/ttc-large.XXXXXX)
. benchmarks/stack.sh
key=$(ConnectionStrings__Platform=$TTC_POSTGRES ttc keys create large-batch 2>/dev/null)
pgport=$(cat "$TTC_TEST_SERVICES_DIR/pg/port")
second=$(ConnectionStrings__Platform=$TTC_POSTGRES ttc keys create second-team 2>/dev/null)
workers=$(pgrep -f 'Platform\.(Aggregator|Generator|Verifier)\.dll' | tr '\n' ' ')
if [ "$mode" = router-only ]; then kill -STOP $workers; trap 'kill -CONT $workers 2>/dev/null || true; kill $up 2>/dev/null || true; wait $up 2>/dev/null || true; scripts/services.sh stop "$TTC_TEST_SERVICES_DIR"' EXIT; fi

python3 - "$count" "$strategy" >"$work/batch.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"name": "large", "strategy": sys.argv[2],
                  "problems": [{"text": f"{i % 900 + 100}+{i % 89 + 10}", "referenceAnswer": str(i % 900 + 100 + i % 89 + 10)} for i in range(n)]}))
PY
echo "$count problems, $(du -h "$work/batch.json" | cut -f1) of JSON, strategy $strategy"
router=$(pgrep -f 'Platform\.Router\.dll' | head -1)
if [ "$mode" = complete ]; then
python3 - "$work/batch.json" "http://127.0.0.1:$TTC_ROUTER_PORT" "$key" "$pgport" "$second" "$small_after" <<'PY'
import json, subprocess, sys, time, urllib.request
body, base, key, port, second, after = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
n = len(json.loads(body)["problems"])
def sql(q):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-At", "-c", q], capture_output=True, text=True).stdout.strip()
def post(k, data):
    request = urllib.request.Request(f"{base}/batches", data=data, method="POST", headers={"Content-Type": "application/json", "Authorization": f"Bearer {k}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())["batchId"]
start = time.monotonic()
large = post(key, body)
time.sleep(max(0, after - (time.monotonic() - start)))
small = post(second, json.dumps({"name": "small", "strategy": "greedy", "problems": [{"text": f"{i + 100}+{i + 10}", "referenceAnswer": str(2 * i + 110)} for i in range(10)]}).encode())
while sql(f"select count(*) from ttc.batches where id in ('{large}', '{small}') and status = 'completed'") != "2" and time.monotonic() - start < 3600:
    time.sleep(1)
seconds = lambda b: float(sql(f"select coalesce(extract(epoch from completed_at - submitted_at), -1) from ttc.batches where id = '{b}'"))
total, waited = seconds(large), seconds(small)
print(f"| {n:,} | {total:.1f} s | {n / total:.0f} problems/s | {waited:.1f} s (submitted {after:.0f} s in) |")
PY
exit 0
fi
python3 - "$work/batch.json" "http://127.0.0.1:$TTC_ROUTER_PORT" "$key" "$pgport" "$mode" "$router" <<'PY'
import json, subprocess, sys, threading, time, urllib.request
body, base, key, port, mode, router = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
n = len(json.loads(body)["problems"])
def sql(q):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-At", "-c", q], capture_output=True, text=True).stdout.strip()
start = time.monotonic()
request = urllib.request.Request(f"{base}/batches", data=body, method="POST", headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
with urllib.request.urlopen(request, timeout=300) as response:
    batch = json.loads(response.read())["batchId"]
    status = response.status
accepted = time.monotonic() - start
marks = {}
while time.monotonic() - start < 600:
    now = time.monotonic() - start
    if mode == "router-only" and "first planned" not in marks and sql(f"select exists(select 1 from ttc.runs where batch_id = '{batch}')") == "t":
        marks["first planned"] = now
    if mode != "router-only" and "dispatched" not in marks and sql(f"select exists(select 1 from ttc.run_rounds rr join ttc.runs r on r.id = rr.run_id where r.batch_id = '{batch}')") == "t":
        marks["dispatched"] = now
    if mode != "router-only" and "answered" not in marks and sql(f"select exists(select 1 from ttc.compute_usage where batch_id = '{batch}')") == "t":
        marks["answered"] = now
    if "planned" not in marks and int(sql(f"select count(*) from ttc.runs where batch_id = '{batch}'") or 0) == n:
        marks["planned"] = now
    if len(marks) == (2 if mode == "router-only" else 3):
        break
    time.sleep(0.1)
t0 = time.monotonic()
cancel = urllib.request.Request(f"{base}/batches/{batch}", method="DELETE", headers={"Authorization": f"Bearer {key}"})
urllib.request.urlopen(cancel, timeout=60).read()
cancelled = time.monotonic() - t0
def rss():
    for line in open(f"/proc/{router}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before, peak, done = rss(), [0.0], [False]
def sample():
    while not done[0]:
        peak[0] = max(peak[0], rss()); time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
t0 = time.monotonic(); lines = 0
results = urllib.request.Request(f"{base}/batches/{batch}/results?format=jsonl", headers={"Authorization": f"Bearer {key}"})
with urllib.request.urlopen(results, timeout=300) as response:
    for _ in response:
        lines += 1
streamed, done[0] = time.monotonic() - t0, True
print(f"cancel: DELETE answered in {cancelled:.2f} s; results: {lines:,} JSONL lines streamed in {streamed:.1f} s, "
      f"Router resident memory {before:.0f} MB before, {peak[0]:.0f} MB at most while streaming")
fmt = lambda k: f"{marks[k]:.1f} s" if k in marks else "not within 600 s"
if mode == "router-only":
    print(f"| problems | mode | 202 after | first run planned | all {n:,} planned |")
    print(f"|---|---|---|---|---|")
    print(f"| {n:,} | Router alone | {accepted:.1f} s (HTTP {status}) | {fmt('first planned')} | {fmt('planned')} |")
else:
    print(f"| problems | mode | 202 after | first run dispatched | first run answered | all {n:,} planned |")
    print(f"|---|---|---|---|---|---|")
    print(f"| {n:,} | whole stack | {accepted:.1f} s (HTTP {status}) | {fmt('dispatched')} | {fmt('answered')} | {fmt('planned')} |")
PY
