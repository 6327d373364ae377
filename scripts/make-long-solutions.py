#!/usr/bin/env python3
"""Writes tests/data/grading-long-solutions.jsonl: long solutions (7,000+ characters, about 2,000
tokens) in the shapes real models write, each with the answer a human grader would take and the
candidate expressions in it that are not the answer.

The body of each solution is real worked text: MATH-500 and GSM8K reference solutions (../shared/data)
of other problems, as a model's exploration, with their own boxes, #### lines and "answer" phrases
unwrapped so that only the shape under test states an answer. Shapes (each rule of docs/grading.md):

  boxed-last      intermediate \\boxed{} values in the body, the target's own solution ending in \\boxed{}
  think-phrase    a <think> block that boxes a wrong value, then "**Final Answer:** $A$" after it
  minerva         "Final Answer: The final answer is $A$. I hope it is correct."
  sentence        "Final Answer: The <noun> is A." (no math delimiters) or "... is $A$."
  last-math       no box and no phrase: the answer is the last display math \\[ A \\]
  several-boxes   a rejected boxed value in the body, then \\boxed{a} and \\boxed{b} together
  gsm8k           GSM8K bodies, the target's own solution ending in #### N

Deterministic (seeded). Usage: scripts/make-long-solutions.py [MATH500.jsonl GSM8K.jsonl OUT]
"""
import json, random, re, sys

math_src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/math500/test.jsonl"
gsm_src = sys.argv[2] if len(sys.argv) > 2 else "../shared/data/gsm8k/test.jsonl"
out = sys.argv[3] if len(sys.argv) > 3 else "tests/data/grading-long-solutions.jsonl"
MIN_CHARS = 7000
PER_SHAPE = 8

rng = random.Random(31)
math = [json.loads(l) for l in open(math_src)]
gsm = [json.loads(l) for l in open(gsm_src)]


def unbox(text):
    """Replaces each \\boxed{X} by X (nested braces matched)."""
    result, i = [], 0
    while True:
        at = text.find("\\boxed{", i)
        if at < 0:
            result.append(text[i:])
            return "".join(result)
        result.append(text[i:at])
        depth, j = 0, at + 6
        while j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        result.append(text[at + 7:j])
        i = j + 1


def body_text(text):
    """A reference solution as exploration: no [asy] pictures, no boxes, no answer phrases, no #### or A: lines."""
    text = re.sub(r"\[asy\].*?\[/asy\]", "", text, flags=re.S)
    text = unbox(text)
    text = re.sub(r"(?i)answer", "result", text)
    text = re.sub(r"<<[^>]*>>", "", text)
    text = re.sub(r"(?m)^#### .*$", "", text)
    text = re.sub(r"(?m)^A:", "a:", text)
    return text.strip()


def simple(answer):
    """Answers that read the same inside $...$ and in a sentence, and whose text is short."""
    return len(answer) <= 40 and "\\text" not in answer and "$" not in answer


def body(pool, skip, key):
    parts, size = [], 0
    while size < MIN_CHARS:
        row = rng.choice(pool)
        if row is skip:
            continue
        part = body_text(row[key])
        parts.append(part)
        size += len(part) + 2
    return parts


def distractors(pool, gold, count=3):
    chosen = []
    while len(chosen) < count:
        a = rng.choice(pool)["answer"]
        if simple(a) and a.strip() != gold.strip() and a not in chosen and re.fullmatch(r"-?\d+", a):
            chosen.append(a)
    return chosen


targets = [r for r in math if simple(r["answer"]) and r["solution"].count("\\boxed") == 1 and "[asy]" not in r["solution"]]
rng.shuffle(targets)
rows = []


def add(shape, solution, gold, wrong):
    rows.append({"shape": shape, "solution": solution, "gold": gold, "distractors": wrong})


take = iter(targets)
for _ in range(PER_SHAPE):
    t = next(take)
    wrong = distractors(math, t["answer"])
    parts = body(math, t, "solution")
    parts.insert(1, f"A first attempt gives $\\boxed{{{wrong[0]}}}$, but that counts one case twice, so we start over.")
    parts.insert(3, f"Another route suggests \\boxed{{{wrong[1]}}}; this ignores a constraint of the problem.")
    add("boxed-last", "\n\n".join(parts + [t["solution"]]), t["answer"], wrong)

for _ in range(PER_SHAPE):
    t = next(take)
    wrong = distractors(math, t["answer"])
    parts = body(math, t, "solution")
    think = "<think>\n" + "\n\n".join(parts) + f"\n\nSo maybe the value is \\boxed{{{wrong[0]}}}? Let me recheck the last step.\n</think>\n\n"
    add("think-phrase", think + body_text(t["solution"]) + f"\n\n**Final Answer:** ${t['answer']}$", t["answer"], wrong)

for _ in range(PER_SHAPE):
    t = next(take)
    wrong = distractors(math, t["answer"])
    parts = body(math, t, "solution") + [f"We also note that $x = {wrong[0]}$ is not allowed here.", body_text(t["solution"])]
    add("minerva", "\n\n".join(parts) + f"\n\nFinal Answer: The final answer is ${t['answer']}$. I hope it is correct.", t["answer"], wrong)

nouns = ["largest possible value", "number of ways", "smallest such integer", "requested quantity", "value of the expression"]
for k in range(PER_SHAPE):
    t = next(t for t in take if re.fullmatch(r"-?\d+", t["answer"])) if k % 2 == 0 else next(take)
    wrong = distractors(math, t["answer"])
    parts = body(math, t, "solution") + [f"Checking $n = {wrong[0]}$ and $n = {wrong[1]}$ shows neither works.", body_text(t["solution"])]
    noun = nouns[k % len(nouns)]
    ending = f"Final Answer: The {noun} is {t['answer']}." if re.fullmatch(r"-?\d+", t["answer"]) else f"**Final Answer:** The {noun} is ${t['answer']}$."
    add("sentence", "\n\n".join(parts) + "\n\n" + ending, t["answer"], wrong)

for _ in range(PER_SHAPE):
    t = next(take)
    wrong = distractors(math, t["answer"])
    parts = body(math, t, "solution") + [f"Suppose for a moment the value were\n\\[\n{wrong[0]}.\n\\]\nThat contradicts the first condition.", body_text(t["solution"])]
    add("last-math", "\n\n".join(parts) + f"\n\nCollecting everything, we obtain\n\\[\n{t['answer']}\n\\]\nwhich completes the solution.", t["answer"], wrong)

for _ in range(PER_SHAPE):
    a, b = rng.sample(range(-20, 40), 2)
    c = rng.choice([x for x in range(-20, 40) if x not in (a, b)])
    parts = body(math, None, "solution")
    parts.insert(2, f"One candidate is \\boxed{{{c}}}, but substituting it back fails the original equation.")
    ending = f"Checking both cases, the valid values are $x = \\boxed{{{a}}}$ and $x = \\boxed{{{b}}}$."
    add("several-boxes", "\n\n".join(parts) + "\n\n" + ending, f"{a}, {b}", [str(c), str(a), str(b)])

gsm_targets = [r for r in gsm]
rng.shuffle(gsm_targets)
for t in gsm_targets[:PER_SHAPE]:
    gold = t["answer"].split("####")[-1].strip()
    wrong = []
    while len(wrong) < 3:
        w = rng.choice(gsm)["answer"].split("####")[-1].strip()
        if w != gold and w not in wrong:
            wrong.append(w)
    parts = body(gsm, t, "answer") + [f"If each part were {wrong[0]}, the totals would not match, so that is wrong.", t["answer"]]
    add("gsm8k", "\n\n".join(parts), gold, wrong)

with open(out, "w") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(rows)} long solutions, shortest {min(len(r['solution']) for r in rows)} characters -> {out}")
