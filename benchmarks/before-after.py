"""One row of benchmarks/before-after.sh's table from the outputs of one round of one build."""
import json
import re
import sys

round_, build, out = sys.argv[1:4]


def rows(path):
    """The data rows of the markdown tables in a file, as lists of cells."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return []
    return [[c.strip() for c in l.strip("|").split("|")] for l in lines if l.startswith("|") and not l.startswith("|---") and "tokens/s" not in l]


gen = rows(out + "-generation.md")
generation = gen[2][3] if len(gen) >= 3 else "-"
timed = [float(r[4]) for r in rows(out + "-continuous.md") if len(r) > 4 and r[1] != "warm-up"]
continuous = f"{sum(timed) / len(timed):.0f}" if timed else "-"
try:
    m = json.load(open(out + "-majority.json"))
    majority, majority_tokens = f"{m['wall_seconds']:.1f}", f"{m['generated_tokens']:,}"
except (OSError, ValueError, KeyError):
    majority, majority_tokens = "-", "-"
try:
    log = open(out + "-distributed.log").read()
except OSError:
    log = ""
walls = re.findall(r"\| (embedded|distributed) \([^|]*\) \| \d+ \| ([\d.]+)% \| ([\d,]+) \| ([\d.]+) \|", log)
ratio = re.search(r"throughput = ([\d.]+x)", log)
by = {w[0]: w for w in walls}
emb = by.get("embedded", ("", "-", "-", "-"))
dist = by.get("distributed", ("", "-", "-", "-"))
print(f"| {round_} | {build} | {generation} | {continuous} | {majority} | {majority_tokens} | {emb[3]} | {dist[3]} | {ratio.group(1) if ratio else '-'} | "
      f"{emb[1]}% / {dist[1]}% | {emb[2]} / {dist[2]} |", flush=True)
