#!/usr/bin/env python3
"""CPU use of the platform's processes over time: every STEP seconds for SECONDS, the cores each of the
four services, RabbitMQ and PostgreSQL used in that interval (from /proc/PID/stat), as a markdown table.
   benchmarks/cpu-timeline.py [SECONDS=20] [STEP=0.5]   (benchmarks/distributed.sh runs it with TIMELINE=1)"""
import os, re, sys, time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20
step = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
tick = os.sysconf("SC_CLK_TCK")

def processes():
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="ignore")
        except OSError:
            continue
        m = re.search(r"Platform\.(Router|Generator|Verifier|Aggregator)\.dll", cmd)
        name = m.group(1) if m else "rabbitmq" if "beam.smp" in cmd else "postgres" if cmd.startswith("postgres") or "/postgres" in cmd.split("\0")[0] else None
        if name:
            found.setdefault(name, []).append(pid)
    return found

def ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total

procs = processes()
names = [n for n in ("Router", "Aggregator", "Generator", "Verifier", "rabbitmq", "postgres") if n in procs]
before = {n: ticks(procs[n]) for n in names}
print("| s | " + " | ".join(names) + " | all |")
print("|---|" + "---|" * (len(names) + 1))
start = time.monotonic()
while time.monotonic() - start < seconds:
    t0 = time.monotonic()
    time.sleep(step)
    now = {n: ticks(procs[n]) for n in names}
    elapsed = time.monotonic() - t0
    used = {n: max(0, now[n] - before[n]) / tick / elapsed for n in names}
    before = now
    print(f"| {time.monotonic() - start:.1f} | " + " | ".join(f"{used[n]:.2f}" for n in names) + f" | {sum(used.values()):.2f} |", flush=True)
