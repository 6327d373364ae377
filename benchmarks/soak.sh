#!/usr/bin/env bash
# Steady load on the distributed stack (scripts/up.sh): one large greedy batch from key "bulk" runs (a new
# one starts whenever it completes) while CLIENTS keys each submit a SIZE-problem batch every EVERY seconds
# with mixed strategies, for MINUTES. Records each small batch's time from submission to completion
# (p50/p95/p99/max), every service's resident memory and CPU each minute, the error and dead-letter
# queues, and whether every batch reached a terminal state. Writes soak.csv, minutes.csv and soak.svg to OUT.
#   benchmarks/soak.sh [MINUTES=60] [LARGE=100000] [CLIENTS=3] [EVERY=5] [SIZE=20] [OUT=docs/plots/soak]
# Router:Admission settings come from the environment as usual (e.g. Router__Admission__MaxRunsInFlight=0
# turns the fair share off, for comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}; large=${2:-100000}; clients=${3:-3}; every=${4:-5}; size=${5:-20}; out=${6:-docs/plots/soak}
work=$(mktemp -d /tmp/ttc-soak.XXXXXX); mkdir -p "$out"
. benchmarks/stack.sh
keys=""
for name in bulk $(seq -f "client%g" 1 "$clients"); do
  keys="$keys $name=$(ConnectionStrings__Platform=$TTC_POSTGRES ttc keys create "$name" 2>/dev/null)"
done
pgport=$(cat "$TTC_TEST_SERVICES_DIR/pg/port")
echo "soak: $minutes min, a $large-problem greedy batch (bulk) and $clients clients x $size problems every $every s; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M') UTC"

python3 - "$minutes" "$large" "$every" "$size" "http://127.0.0.1:$TTC_ROUTER_PORT" "$pgport" "$out" "$TTC_TEST_SERVICES_DIR" $keys <<'PY'
import json, re, subprocess, sys, threading, time, urllib.request
minutes, large, every, size = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
base, port, out, services = sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
keys = dict(k.split("=", 1) for k in sys.argv[9:])
clients = sorted(k for k in keys if k != "bulk")
strategies = [{"strategy": "greedy"}, {"strategy": "self-consistency", "n": 4}, {"strategy": "weighted-best-of-n", "n": 4},
              {"strategy": "best-of-n", "n": 4}, {"strategy": "beam-search", "n": 4}]

def sql(q):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-At", "-F", ",", "-c", q], capture_output=True, text=True).stdout.strip()

def post(key, body):
    request = urllib.request.Request(f"{base}/batches", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {keys[key]}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())["batchId"]

def problems(n, offset):
    return [{"text": f"{(i + offset) % 900 + 100}+{(i + offset) % 89 + 10}", "referenceAnswer": str((i + offset) % 900 + 100 + (i + offset) % 89 + 10)} for i in range(n)]

start = time.monotonic(); end = start + minutes * 60
bulk = [post("bulk", {"name": "soak-large", "strategy": "greedy", "problems": problems(large, 0)})]
small, errors, lock = [], [], threading.Lock()

def client(name, index):
    k = 0
    time.sleep(index * every / len(clients))
    while time.monotonic() < end:
        t = time.monotonic()
        body = {"name": f"soak-{name}-{k}", **strategies[(k + index) % len(strategies)], "problems": problems(size, k * size)}
        try:
            batch = post(name, body)
            with lock:
                small.append(batch)
        except Exception as e:  # an HTTP error is a finding, not a crash of the benchmark
            with lock:
                errors.append(f"{name}: {e}")
        k += 1
        time.sleep(max(0, every - (time.monotonic() - t)))

threads = [threading.Thread(target=client, args=(c, i), daemon=True) for i, c in enumerate(clients)]
for t in threads:
    t.start()

sys.path.insert(0, "benchmarks")
from procstat import SERVICES, processes, rss_mb, tick, ticks

def usage(pid):
    return rss_mb(pid), ticks([pid]) / tick

def queues():
    listed = subprocess.run(["bash", "-c", f". {services}/rabbitmq/env; /usr/lib/rabbitmq/bin/rabbitmqctl -q list_queues name messages 2>/dev/null || true"],
                            capture_output=True, text=True).stdout
    bad = {}
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and re.search(r"_(error|skipped)$|dead", parts[0]):
            bad[parts[0]] = int(parts[1])
    return bad

procs = {name: pids[0] for name, pids in processes().items() if name in SERVICES}
minutes_rows, last = [], {s: usage(p) for s, p in procs.items()}
next_sample = start + 60
while time.monotonic() < end:
    time.sleep(1)
    if sql(f"select status from ttc.batches where id = '{bulk[-1]}'") == "completed" and time.monotonic() < end - 60:
        bulk.append(post("bulk", {"name": f"soak-large-{len(bulk)}", "strategy": "greedy", "problems": problems(large, 0)}))
    if time.monotonic() >= next_sample:
        now = {s: usage(p) for s, p in procs.items()}
        row = {"minute": round((time.monotonic() - start) / 60)}
        for s in sorted(now):
            row[f"{s}_rss_mb"] = round(now[s][0], 1)
            row[f"{s}_cpu_cores"] = round((now[s][1] - last[s][1]) / 60, 2)
        done = sql("select count(*), coalesce(percentile_cont(0.95) within group (order by extract(epoch from completed_at - submitted_at)), 0) "
                   f"from ttc.batches where submitter <> 'bulk' and completed_at > now() - interval '60 seconds'").split(",")
        row["small_completed"], row["small_p95_s"] = int(done[0] or 0), round(float(done[1] or 0), 2)
        row["error_queue_messages"] = sum(queues().values())
        minutes_rows.append(row); last = now; next_sample += 60
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)

for t in threads:
    t.join()
# Every small batch must end; the large one is cancelled (it has shown what it had to).
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    waiting = sql("select count(*) from ttc.batches where submitter <> 'bulk' and status = 'accepted'")
    if waiting == "0":
        break
    time.sleep(2)
large_done = sql(f"select count(*) from ttc.batches where submitter = 'bulk' and status = 'completed'")
large_runs = sql(f"select coalesce(sum(runs_ended), 0) from ttc.batches where submitter = 'bulk'")
for b in bulk:
    try:
        urllib.request.urlopen(urllib.request.Request(f"{base}/batches/{b}", method="DELETE", headers={"Authorization": f"Bearer {keys['bulk']}"}), timeout=60).read()
    except Exception:
        pass

rows = [r.split(",") for r in sql("select name, status, extract(epoch from completed_at - submitted_at), runs_ended, problem_count "
                                  "from ttc.batches where submitter <> 'bulk' order by submitted_at").splitlines() if r]
with open(f"{out}/soak.csv", "w") as f:
    f.write("name,status,seconds,runs_ended,problems\n")
    f.writelines(",".join(r) + "\n" for r in rows)
with open(f"{out}/minutes.csv", "w") as f:
    header = list(minutes_rows[0].keys()) if minutes_rows else ["minute"]
    f.write(",".join(header) + "\n")
    f.writelines(",".join(str(r.get(h, "")) for h in header) + "\n" for r in minutes_rows)

statuses = {}
for r in rows:
    statuses[r[1]] = statuses.get(r[1], 0) + 1
print(f"\nsmall batches: {len(rows)} submitted, {statuses}; HTTP errors: {len(errors)} {errors[:3]}")
print(f"large batches: {len(bulk)} started, {large_done} completed, {large_runs} of their runs ended")
print(f"error and dead-letter queues at the end: {queues() or 'empty'}")
PY
python3 benchmarks/soak-report.py "$out"
