#!/usr/bin/env python3
"""Writes tests/data/grading-math500.jsonl: every MATH-500 gold answer written two other ways (positives)
and, where a meaning-changing edit applies, one adversarial negative (sign, factor, swapped or re-opened
interval ends, a missing element). Input: the MATH-500 JSONL (../shared/data/math500/test.jsonl)."""
import json, re, sys

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/math500/test.jsonl"
out = sys.argv[2] if len(sys.argv) > 2 else "tests/data/grading-math500.jsonl"
rows = [json.loads(l) for l in open(src)]

THOUSANDS = re.compile(r"^-?(\\\$)?\d{1,3}(,(\\!)?\s*\d{3})+$")

def spaced(a):
    # Presentation: $...$, \dfrac, \left/\right around brackets, spaces after list commas.
    b = a.replace("\\frac", "\\dfrac")
    if not THOUSANDS.match(a):
        b = re.sub(r",\s*", ", ", b)
    if b.startswith("(") and b.endswith(")") and b.count("(") == 1:
        b = "\\left(" + b[1:-1] + "\\right)"
    return "$" + b + "$"

def other(a):
    s = a.strip()
    if THOUSANDS.match(s):
        return re.sub(r"[^\d-]", "", s)
    if re.fullmatch(r"-?\d+", s):
        return s + ".0"
    m = re.fullmatch(r"(\d+)_\{?(\d+)\}?", s)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}" if "{" not in s else f"{m.group(1)}_{m.group(2)}"
    m = re.fullmatch(r"([a-z])\s*=\s*([^=]+)", s)
    if m:
        return f"{m.group(2)} = {m.group(1)}"
    if "=" in s:
        l, r = s.split("=", 1)
        return f"{r.strip()} = {l.strip()}"
    if s.startswith("x \\in"):
        return s[len("x \\in"):].strip()
    m = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", s)
    if m:
        sign, n, d = m.groups()
        return f"{sign}{n}/{d}"
    m = re.fullmatch(r"(-?)\\[dt]?frac\s?(\d)(\d)", s)
    if m:
        sign, n, d = m.groups()
        return f"{sign}{n}/{d}"
    if re.fullmatch(r"-?\d*\.\d+", s):
        return s + "0"
    m = re.fullmatch(r"(\d+)\^\\circ", s)
    if m:
        return m.group(1) + "°"
    m = re.fullmatch(r"\\text\{(.+)\}", s)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\\sqrt\{?(\d+)\}?", s)
    if m:
        return f"{m.group(1)}^{{1/2}}"
    if "\\begin{pmatrix}" in s:
        return s.replace("pmatrix", "bmatrix")
    if "\\cup" in s:
        parts = [p.strip() for p in s.split("\\cup")]
        return " \\cup ".join(reversed(parts))
    if re.fullmatch(r"[^(),\[\]{}]+(,[^(),\[\]{}]+)+", s):
        # a bare list of answers: any order
        return ", ".join(reversed([p.strip() for p in s.split(",")]))
    if re.search(r"[,\[\]]|\\begin|\\infty", s) or (s.startswith("(") and s.endswith(")")):
        # tuples, points and intervals: spacing and \left/\right
        return "\\left" + s[0] + " " + re.sub(r",\s*", " , ", s[1:-1]) + " \\right" + s[-1] if s[0] in "([" else s.replace(",", " , ")
    # otherwise multiply by one and wrap: same value, different writing
    return "1 \\cdot \\left(" + s + "\\right)"

def negative(a):
    s = a.strip()
    if THOUSANDS.match(s):
        return s.replace("1", "7", 1) if "1" in s else s.replace("0", "9", 1)
    if re.fullmatch(r"-?\d+", s):
        v = int(s)
        return str(-v) if v != 0 else "1"
    m = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", s)
    if m:
        sign, n, d = m.groups()
        return f"{'' if sign else '-'}\\frac{{{n}}}{{{d}}}"
    m = re.fullmatch(r"\[(.+),(.+)\]", s)
    if m:
        return f"({m.group(1)},{m.group(2)}]"
    m = re.fullmatch(r"\((.+),([^,]+)\]", s)
    if m:
        return f"({m.group(1)},{m.group(2)})"
    m = re.fullmatch(r"\(([^,]+),([^,]+)\)", s)
    if m and "\\cup" not in s:
        return f"({m.group(2)},{m.group(1)})"
    if re.fullmatch(r"\\sqrt\{?\d+\}?", s) or s.startswith("\\frac{\\sqrt"):
        return "2" + s
    if "\\pi" in s:
        return s.replace("\\pi", "2\\pi", 1)
    if re.fullmatch(r"[^(),\[\]{}]+(,[^(),\[\]{}]+)+", s):
        return ",".join(s.split(",")[:-1])
    if re.search(r"[a-z]", s) and "\\text" not in s and "=" not in s and "\\begin" not in s:
        return "2\\left(" + s + "\\right)"
    return None

with open(out, "w") as f:
    for r in rows:
        g = r["answer"]
        uid = r.get("unique_id", "")
        f.write(json.dumps({"category": "math500", "gold": g, "pred": spaced(g), "expected": True, "source": uid}) + "\n")
        f.write(json.dumps({"category": "math500", "gold": g, "pred": other(g), "expected": True, "source": uid}) + "\n")
        n = negative(g)
        if n is not None and n != g:
            f.write(json.dumps({"category": "math500-negative", "gold": g, "pred": n, "expected": False, "source": uid}) + "\n")
