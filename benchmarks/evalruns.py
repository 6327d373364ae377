"""Reading `ttc eval --json` results into the benchmark scripts' markdown tables."""
import json
import os


def load(out, name):
    """The run stored as OUT/NAME.json, or None where it was not run."""
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def cell(r):
    """A run's accuracy, generated tokens per problem and FLOPs per problem as table cells ("-" where not run)."""
    if not r:
        return ("-", "-", "-")
    return (f"{100*r['accuracy']:.1f}%", f"{r['generated_tokens']/r['problems']:.0f}", f"{r['flops']/r['problems']:.2e}")


def header(*columns):
    """A markdown table's header and separator lines."""
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
