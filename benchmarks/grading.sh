#!/usr/bin/env bash
# Speed of the grader through `ttc grade --cases`, process start included:
#   10,000 ordinary pairs (the case tables, repeated), 3,000 hostile inputs (mutated, random, huge, and
#   100 kB solutions with unclosed delimiters and endless boxes), and the long solutions of
#   tests/data/grading-long-solutions.jsonl (about 2,000 tokens each) graded 20 times over.
#   benchmarks/grading.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tools/Platform.Cli -c Release -v q -nologo >/dev/null
ttc() { dotnet tools/Platform.Cli/bin/Release/net10.0/ttc.dll "$@"; }
work=$(mktemp -d /tmp/ttc-grading.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, random, sys
work = sys.argv[1]
rows = [json.loads(l) for f in ("tests/data/grading-cases.jsonl", "tests/data/grading-real-answers.jsonl", "tests/data/grading-math500.jsonl") for l in open(f)]
with open(f"{work}/ordinary.jsonl", "w") as out:
    for i in range(10_000):
        r = rows[i % len(rows)]
        out.write(json.dumps({"gold": r["gold"], "pred": r["pred"]}) + "\n")
rnd = random.Random(7)
pieces = ["\\frac{", "}", "{", "(", ")", "[", "]", "^", "_", ",", "\\sqrt", "\\pm", "\\left(", "\\right)", "\\begin{pmatrix}", "&", "\\\\", "x", "9", "."]
with open(f"{work}/hostile.jsonl", "w") as out:
    for i in range(3_000):
        kind = i % 3
        if kind == 0:
            s = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 400)))
        elif kind == 1:
            s = "".join(chr(rnd.randint(1, 0x2fff)) for _ in range(rnd.randint(1, 300)))
        else:
            s = rnd.choice(["9" * 20_000, "{" * 5_000 + "1" + "}" * 5_000, "10^{10^{10}}", "2^" * 300 + "2", ",".join("1" * 300),
                            "$" * 100_000, "\\(" * 50_000, "\\boxed{1}" * 10_000, "\\boxed{" * 14_000, "</think>" * 12_500,
                            "Final Answer: " * 7_000, "\\boxed{1} and " * 7_000, "1 " * 50_000])
        out.write(json.dumps({"gold": rows[i % len(rows)]["gold"], "pred": s}) + "\n")
longs = [json.loads(l) for l in open("tests/data/grading-long-solutions.jsonl")]
with open(f"{work}/long.jsonl", "w") as out:
    for i in range(20 * len(longs)):
        out.write(json.dumps({"gold": longs[i % len(longs)]["gold"], "pred": longs[i % len(longs)]["solution"]}) + "\n")
PY
for set in ordinary hostile long; do
  start=$(date +%s.%N)
  ttc grade --cases "$work/$set.jsonl" > "$work/$set.out"
  end=$(date +%s.%N)
  lines=$(wc -l < "$work/$set.out")
  echo "$set: $lines verdicts in $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}') s (process start included)"
done
