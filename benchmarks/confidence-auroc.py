#!/usr/bin/env python3
"""How well each per-sample signal separates right samples from wrong ones on one `ttc eval --db`
database (SQLite): ROC AUC of the generator's trace confidences (mean, lowest group, bottom 10%,
tail) and of the verifier's score, over every sample whose answer was extracted ("pooled"), and
within problems: the mean AUC over the problems that have both right and wrong samples (what a vote
among one problem's samples can use). A sample is right when its answer equals the problem's
reference answer (arithmetic answers are integers).
   benchmarks/confidence-auroc.py DB [DB...]"""
import sqlite3, sys

def auroc(pairs):
    pos = [s for s, y in pairs if y]; neg = [s for s, y in pairs if not y]
    if not pos or not neg:
        return float("nan")
    ranked = sorted((s, y) for s, y in pairs)
    # Mann-Whitney U with ties shared.
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2
        rank_sum += mean_rank * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))

print("| database | AUC | samples (problems) | right | mean | lowest group | bottom 10% | tail | verifier score |")
print("|---|---|---|---|---|---|---|---|---|")
for path in sys.argv[1:]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute("""select r.problem_id, c.extracted_answer, p.reference_answer, c.confidence_mean, c.confidence_lowest_group, c.confidence_bottom10,
                                c.confidence_tail, c.score
                         from candidates c join runs r on r.id = c.run_id join problems p on p.id = r.problem_id
                         where c.extracted_answer is not null and c.confidence_mean is not null""").fetchall()
    right = [a.strip() == (ref or "").strip() for _, a, ref, *_ in rows]
    problems = {}
    for row, y in zip(rows, right):
        problems.setdefault(row[0], []).append((row, y))
    mixed = [p for p in problems.values() if any(y for _, y in p) and not all(y for _, y in p)]
    pooled, within = [], []
    for k in range(3, 8):
        if any(r[k] is None for r in rows):
            pooled.append("-"); within.append("-")
            continue
        pooled.append(f"{auroc([(r[k], y) for r, y in zip(rows, right)]):.3f}")
        within.append(f"{sum(auroc([(r[k], y) for r, y in p]) for p in mixed) / len(mixed):.3f}")
    name = path.rsplit('/', 1)[-1]
    print(f"| {name} | pooled | {len(rows)} ({len(problems)}) | {sum(right)} | " + " | ".join(pooled) + " |")
    print(f"| {name} | within a problem | {sum(len(p) for p in mixed)} ({len(mixed)}) | {sum(y for p in mixed for _, y in p)} | " + " | ".join(within) + " |")
