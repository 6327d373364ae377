"""Trains a Qwen2.5-Math-PRM-style verifier (Qwen2ForProcessRewardModel: token classification with two
labels read at every <extra_0>) on the arithmetic task's step labels, starting from the transformer of
models/hf-arith (as Qwen's PRMs start from their instruct models), and writes it as a verifier folder.

Input, as the model card builds it (and the platform's qwen-prm family): the system prompt "Please reason
step by step, ...", the problem as the user turn, the steps joined by <extra_0> with a trailing one as
the assistant turn, rendered with the Qwen2.5 template without a generation prompt.

Labels: a step is right (1) when its arithmetic holds and it uses the previous results as the oracle
solution does; the first wrong step and every step after it are wrong (0). Examples are the oracle
solution, or a prefix of it ending in a corrupted step (a result off by one, a digit changed, an operand
changed: the corruptions the probe uses), or the oracle steps with a wrong final answer; each whole or
cut at a random step, as search scores partial solutions.

The decoder's weights are read back from models/hf-arith/model.onnx (named initializers by name, the
MatMul weights in the order the export wrote them, transposed); the load is checked by the generator's
held-out greedy accuracy before training starts.

    python3 scripts/hf-models/train_prm.py PROBLEMS_JSONL OUT_DIR [--minutes 40]
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_verifiers import QWEN_PRM_SYSTEM, TokenHead, export_head, with_added_token  # noqa: E402
from train_arith import ROOT, TEMPLATE, TOKENIZER, _ENV, config, encode, greedy_accuracy, render_prompt  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from architectures import build  # noqa: E402

STEP = re.compile(r"^(\d+)([+\-*])(\d+)=(-?\d+)$")
_PRM_TEMPLATE = _ENV.from_string(TEMPLATE.read_text(encoding="utf-8"))


def load_generator(cfg):
    """models/hf-arith's decoder as a PyTorch module, its weights read back from the ONNX export."""
    model = build(cfg).eval()
    graph = onnx.load(str(ROOT / "models" / "hf-arith" / "model.onnx")).graph
    tensors = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    state = model.state_dict()
    matmuls = sorted((n for n in tensors if n.startswith("onnx::MatMul_")), key=lambda n: int(n.rsplit("_", 1)[1]))
    order = [f"layers.{i}.{p}.weight" for i in range(cfg["num_hidden_layers"]) for p in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")]
    loaded = {}
    for name, value in tensors.items():
        if name in state:
            loaded[name] = value
    for name, onnx_name in zip(order, matmuls):
        loaded[name] = tensors[onnx_name].t().contiguous()
    missing = [n for n in state if n not in loaded and n != "lm_head.weight"]
    if missing:
        raise SystemExit(f"weights not found in the export: {missing}")
    loaded["lm_head.weight"] = loaded["embed_tokens.weight"]
    model.load_state_dict(loaded)
    return model


def encode_with(tokenizer, texts):
    """Ids from Hugging Face's tokenizers library for many texts (through a file), as tokenizer(text) gives them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.check_call(["node", str(ROOT / "scripts" / "hf-fixtures" / "encode.mjs"), str(tokenizer), "@" + str(path)])
        return json.loads((pathlib.Path(tmp) / "texts.json.ids.json").read_text(encoding="utf-8"))


def apply(left, op, right):
    return left + right if op == "+" else left - right if op == "-" else left * right


def corrupt(step, rng):
    left, op, right, result = int(step[1]), step[2], int(step[3]), int(step[4])
    kind = rng.randrange(3)
    if kind == 0:
        result = result + 1 if result == 0 or rng.randrange(2) == 0 else result - 1
    elif kind == 1:
        digits = list(str(result))
        at = rng.randrange(len(digits))
        choices = [d for d in "0123456789" if d != digits[at] and not (at == 0 and len(digits) > 1 and d == "0")]
        digits[at] = rng.choice(choices)
        result = int("".join(digits))
    else:
        for _ in range(64):
            change_left = rng.randrange(2) == 0
            original = left if change_left else right
            operand = original + rng.randint(1, 3 if original < 10 else 9) * rng.choice((1, -1))
            if operand < 0 or (op == "*" and operand < 2):
                continue
            new_left, new_right = (operand, right) if change_left else (left, operand)
            value = apply(new_left, op, new_right)
            if value >= 0 and value != result:
                return f"{new_left}{op}{new_right}={value}"
        result += 1
    return f"{left}{op}{right}={result}"


def example(record, rng):
    """Steps and their labels for one training example."""
    steps = list(record["steps"]) + [f"A: {record['answer']}"]
    labels = [1] * len(steps)
    mode = rng.random()
    if mode < 0.55:
        at = rng.randrange(len(steps) - 1) if len(steps) > 1 else 0
        parsed = STEP.match(steps[at])
        if parsed:
            steps = steps[:at] + [corrupt(parsed, rng)]
            labels = labels[:at] + [0]
    elif mode < 0.7:
        wrong = int(record["answer"]) + rng.choice((-1, 1)) * rng.randint(1, 20)
        steps[-1] = f"A: {wrong}"
        labels[-1] = 0
    if rng.random() < 0.3 and len(steps) > 1:
        cut = rng.randrange(1, len(steps))
        steps, labels = steps[:cut], labels[:cut]
    return steps, labels


def render(problem, steps):
    messages = [{"role": "system", "content": QWEN_PRM_SYSTEM}, {"role": "user", "content": problem},
                {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"}]
    return _PRM_TEMPLATE.render(messages=messages, tools=None, documents=None, add_generation_prompt=False, eos_token="<|im_end|>", pad_token="<|endoftext|>")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problems")
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--examples", type=int, default=60000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(2)
    out = pathlib.Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    cfg = config()
    generator = load_generator(cfg)
    heldout = [json.loads(line) for line in open(ROOT / "data" / "arith" / "heldout.jsonl", encoding="utf-8")][:48]
    check = greedy_accuracy(generator, cfg, encode([render_prompt(r["problem"]) for r in heldout]), [r["answer"] for r in heldout], cfg["eos_token_id"], limit=24)
    print(f"hf-arith read back from its export: held-out greedy accuracy {check:.3f} on 24 problems", flush=True)
    if check < 0.4:
        raise SystemExit("the weights read back do not make the trained generator: stopping")

    vocab = with_added_token(TOKENIZER, out, "<extra_0>")
    separator = vocab - 1
    with torch.no_grad():
        embed = torch.nn.Embedding(vocab, cfg["hidden_size"])
        embed.weight[: cfg["vocab_size"]] = generator.embed_tokens.weight
        embed.weight[cfg["vocab_size"]:] = generator.embed_tokens.weight.mean(0)
    generator.embed_tokens = embed
    cfg = {**cfg, "vocab_size": vocab, "architectures": ["Qwen2ForProcessRewardModel"], "num_labels": 2, "pad_token_id": cfg["bos_token_id"]}
    generator.c["vocab_size"] = vocab
    model = TokenHead(generator, 2, mlp=True)

    records = [json.loads(line) for line in open(args.problems, encoding="utf-8")][: args.examples]
    started = time.time()
    built = [example(r, rng) for r in records]
    ids = encode_with(out / "tokenizer.json", [render(r["problem"], steps) for r, (steps, _) in zip(records, built)])
    examples = []
    for row, (_, labels) in zip(ids, built):
        positions = [i for i, t in enumerate(row) if t == separator]
        if len(positions) == len(labels):
            examples.append((row, positions, labels))
    wrong = sum(l.count(0) for _, _, l in examples)
    print(f"{len(examples)} examples encoded in {time.time() - started:.0f} s; {wrong} wrong steps of {sum(len(l) for _, _, l in examples)}", flush=True)

    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.95))
    budget, clock, step, cursor, total = args.minutes * 60, time.time(), 0, 0, None
    order = list(range(len(examples)))
    rng.shuffle(order)
    pad = cfg["pad_token_id"]
    while time.time() - clock < budget:
        if step == 20:
            total = int(budget / ((time.time() - clock) / 20))
            print(f"about {total} steps fit in {args.minutes} minutes", flush=True)
        lr = args.lr * min(1.0, (step + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / (total or 10**9)))))
        for g in optimizer.param_groups:
            g["lr"] = lr
        batch = [examples[order[(cursor + k) % len(order)]] for k in range(args.batch)]
        cursor += args.batch
        width = max(len(r) for r, _, _ in batch)
        x = torch.full((len(batch), width), pad, dtype=torch.int64)
        mask = torch.zeros((len(batch), width), dtype=torch.int64)
        targets = torch.full((len(batch), width), -100, dtype=torch.int64)
        for b, (row, positions, labels) in enumerate(batch):
            x[b, : len(row)] = torch.tensor(row)
            mask[b, : len(row)] = 1
            targets[b, positions] = torch.tensor(labels)
        logits = model(x, mask)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 2), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0:
            with torch.no_grad():
                picked = targets != -100
                accuracy = (logits.argmax(-1)[picked] == targets[picked]).float().mean().item()
            print(f"step {step} loss {loss.item():.4f} step accuracy {accuracy:.3f} lr {lr:.2e} {time.time() - clock:.0f} s", flush=True)
        step += 1

    model.eval()
    export_head(model, out, "logits")
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    template = TEMPLATE.read_text(encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "model_max_length": 512, "chat_template": template},
                                                          indent=2, ensure_ascii=False) + "\n")
    (out / "training.json").write_text(json.dumps({"steps": step, "minutes": args.minutes, "batch": args.batch, "lr": args.lr, "seed": args.seed,
                                                   "examples": len(examples), "initialised_from": "models/hf-arith"}, indent=2) + "\n")
    print(f"done: {step} steps; exported -> {out}", flush=True)


if __name__ == "__main__":
    main()
