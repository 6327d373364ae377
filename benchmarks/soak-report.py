#!/usr/bin/env python3
"""The soak's figures from its files (benchmarks/soak.sh writes them): small batches' time from submission
to completion (p50/p95/p99/max, how many over 60 s or not completed) from soak.csv, and each service's
resident memory over the last three quarters of the run from minutes.csv: the mean of its first ten
minutes against the mean of the last ten, and the least-squares trend over the whole span (single samples
swing with the garbage collector and ONNX Runtime's arenas, so a sample against a sample says little).
Writes soak.svg: small-batch p95 per minute and each service's RSS.
   benchmarks/soak-report.py DIR"""
import csv, statistics, sys

folder = sys.argv[1]
rows = list(csv.DictReader(open(f"{folder}/soak.csv")))
minutes = list(csv.DictReader(open(f"{folder}/minutes.csv")))
latencies = sorted(float(r["seconds"]) for r in rows if r["status"] == "completed" and r["seconds"])

def pct(p):
    return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))] if latencies else float("nan")

print("| small batches | p50 | p95 | p99 | max | over 60 s | not completed |")
print("|---|---|---|---|---|---|---|")
print(f"| {len(rows)} | {pct(50):.1f} s | {pct(95):.1f} s | {pct(99):.1f} s | {latencies[-1] if latencies else float('nan'):.1f} s "
      f"| {sum(1 for x in latencies if x > 60)} | {len(rows) - len(latencies)} |")

services = sorted(k[: -len("_rss_mb")] for k in minutes[0] if k.endswith("_rss_mb")) if minutes else []
last = int(minutes[-1]["minute"]) if minutes else 0
start = max(1, round(last / 4))  # the last three quarters (minutes 15..60 of an hour)
span = [r for r in minutes if int(r["minute"]) >= start]
if len(span) >= 4:
    window = max(1, min(10, len(span) // 4))
    print(f"| service | RSS mean, minutes {start}..{start + window - 1} | RSS mean, last {window} minutes | growth | trend over minutes {start}..{last} | lowest..highest sample | mean CPU (cores) |")
    print("|---|---|---|---|---|---|---|")
    xs = [int(r["minute"]) for r in span]
    for s in services:
        ys = [float(r[f"{s}_rss_mb"]) for r in span]
        a, b = statistics.mean(ys[:window]), statistics.mean(ys[-window:])
        mx, my = statistics.mean(xs), statistics.mean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        cpu = statistics.mean(float(r[f"{s}_cpu_cores"]) for r in minutes)
        print(f"| {s} | {a:.0f} MB | {b:.0f} MB | {100 * (b - a) / a:+.1f}% | {100 * slope * (xs[-1] - xs[0]) / my:+.1f}% | {min(ys):.0f}..{max(ys):.0f} MB | {cpu:.2f} |")

if minutes:
    W, H, P = 900, 420, 60
    xs = [int(r["minute"]) for r in minutes]
    def line(values, top, colour, label, y):
        pts = " ".join(f"{P + (x - xs[0]) / max(1, xs[-1] - xs[0]) * (W - 2 * P):.1f},{H - P - v / top * (H - 2 * P):.1f}" for x, v in zip(xs, values))
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/><text x="{W - P + 4}" y="{y}" fill="{colour}" font-size="12">{label}</text>'
    p95 = [float(r["small_p95_s"]) for r in minutes]
    p95_top = max(60, max(p95) * 1.1)
    rss_top = max(float(r[f"{s}_rss_mb"]) for r in minutes for s in services) * 1.1
    colours = {"Router": "#1f77b4", "Aggregator": "#2ca02c", "Generator": "#9467bd", "Verifier": "#8c564b"}
    parts = [line(p95, p95_top, "#d62728", "small p95 (s)", P)]
    parts += [line([float(r[f"{s}_rss_mb"]) for r in minutes], rss_top, colours.get(s, "#333"), f"{s} RSS", P + 16 * (i + 1)) for i, s in enumerate(services)]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W + 120}" height="{H}" font-family="sans-serif">'
           f'<rect width="100%" height="100%" fill="white"/><line x1="{P}" y1="{H - P}" x2="{W - P}" y2="{H - P}" stroke="black"/>'
           f'<line x1="{P}" y1="{P}" x2="{P}" y2="{H - P}" stroke="black"/>'
           f'<text x="{W / 2 - 60}" y="{H - 20}" font-size="13">minutes into the soak ({xs[0]}..{xs[-1]})</text>'
           f'<text x="10" y="{P - 20}" font-size="13">small-batch p95 per minute: 0..{p95_top:.0f} s; RSS: 0..{rss_top:.0f} MB (full height each)</text>'
           + "".join(parts) + "</svg>")
    open(f"{folder}/soak.svg", "w").write(svg)
