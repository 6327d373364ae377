"""The platform's processes as /proc shows them, for the benchmarks that watch them (cpu-timeline.py, soak.sh)."""
import os, re

tick = os.sysconf("SC_CLK_TCK")
SERVICES = ("Router", "Aggregator", "Generator", "Verifier")

def processes():
    """Process ids by name: the four services, the ttc client, RabbitMQ and PostgreSQL."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="ignore")
        except OSError:
            continue
        m = re.search(r"Platform\.(Router|Generator|Verifier|Aggregator)\.dll", cmd)
        name = m.group(1) if m else "client" if "ttc.dll" in cmd else "rabbitmq" if "beam.smp" in cmd else "postgres" if cmd.startswith("postgres") or "/postgres" in cmd.split("\0")[0] else None
        if name:
            found.setdefault(name, []).append(pid)
    return found

def ticks(pids):
    """CPU time (user + system) of the processes, in clock ticks; an ended process counts nothing."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total

def rss_mb(pid):
    """Resident memory of the process, in MB."""
    return next(int(l.split()[1]) / 1024 for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
