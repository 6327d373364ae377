#!/usr/bin/env python3
"""CPU use of the platform's processes over time: every STEP seconds for SECONDS, the cores each of the
four services, RabbitMQ, PostgreSQL and the ttc client watching the batch used in that interval (from /proc/PID/stat), as a markdown table.
With --threads SERVICE: that service's busiest threads instead, each with the cores it used and how
often it gave up the CPU itself (voluntary context switches: waiting for work or for a lock); a thread
that wants the CPU all the time but gets less of it was runnable and not running.
   benchmarks/cpu-timeline.py [--threads SERVICE] [SECONDS=20] [STEP=0.5]
   (benchmarks/distributed.sh runs it with TIMELINE=1, and TIMELINE_THREADS=SERVICE)"""
import os, re, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procstat import processes, tick, ticks

args = sys.argv[1:]
service = None
if args[:1] == ["--threads"]:
    service, args = args[1], args[2:]
seconds = float(args[0]) if len(args) > 0 else 20
step = float(args[1]) if len(args) > 1 else 0.5

def threads(pid):
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:  # the process has ended
        return out
    for tid in tids:
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            voluntary = int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", open(f"/proc/{pid}/task/{tid}/status").read()).group(1))
            out[tid] = (comm, int(fields[11]) + int(fields[12]), voluntary)
        except (OSError, AttributeError, IndexError):
            pass
    return out

procs = processes()
start = time.monotonic()
if service:
    if service not in procs:
        sys.exit(f"cpu-timeline: no {service} process is running (one of: Router, Aggregator, Generator, Verifier, client)")
    pid = procs[service][0]
    print(f"| s | {service}'s busiest threads: cores used (voluntary switches) |")
    print("|---|---|")
    before = threads(pid)
    while time.monotonic() - start < seconds:
        t0 = time.monotonic()
        time.sleep(step)
        now = threads(pid)
        if not now:
            break
        elapsed = time.monotonic() - t0
        rows = sorted(((now[t][1] - before[t][1]) / tick / elapsed, now[t][2] - before[t][2], now[t][0], t) for t in now if t in before)
        before = now
        busy = [f"{c} {t}: {u:.2f} ({v})" for u, v, c, t in reversed(rows) if u >= 0.02][:4]
        print(f"| {time.monotonic() - start:.1f} | {', '.join(busy) or '-'} |", flush=True)
    sys.exit(0)

# Processes are looked up again every step (the client and PostgreSQL backends start during the batch);
# a process first seen in a step counts from its start.
names = ("Router", "Aggregator", "Generator", "Verifier", "rabbitmq", "postgres", "client")
def per_pid():
    return {(n, pid): ticks([pid]) for n, pids in processes().items() for pid in pids}
before = per_pid()
print("| s | " + " | ".join(names) + " | all |")
print("|---|" + "---|" * (len(names) + 1))
while time.monotonic() - start < seconds:
    t0 = time.monotonic()
    time.sleep(step)
    now = per_pid()
    elapsed = time.monotonic() - t0
    used = {n: 0.0 for n in names}
    for key, t in now.items():
        used[key[0]] += max(0, t - before.get(key, 0)) / tick / elapsed
    before = now
    print(f"| {time.monotonic() - start:.1f} | " + " | ".join(f"{used[n]:.2f}" for n in names) + f" | {sum(used.values()):.2f} |", flush=True)
