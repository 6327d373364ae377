"""Trains a Qwen2.5-Math-PRM-style verifier (Qwen2ForProcessRewardModel: token classification with two
labels read at every <extra_0>) on the arithmetic task's step labels, starting from the transformer of
models/hf-arith (as Qwen's PRMs start from their instruct models), and writes it as a verifier folder.

Input, as the model card builds it (and the platform's qwen-prm family): a system prompt, the problem as
the user turn, the steps joined by <extra_0> with a trailing one as the assistant turn, rendered with the
Qwen2.5 template without a generation prompt. The system prompt is the generator's own (written to
verifier.json, as a family setting), and <extra_0> starts as the embedding of "\n", so that the input
reads as the generator's training text did and its arithmetic carries over.

Labels: a step is right (1) when its arithmetic holds and it uses the previous results as the oracle
solution does; the first wrong step and every step after it are wrong (0). Examples are the oracle
solution, or a prefix of it ending in a corrupted step (a result off by one, a digit changed, an operand
changed: the corruptions the probe uses), or the oracle steps with a wrong final answer; each whole or
cut at a random step, as search scores partial solutions. Besides the <extra_0> positions (the labels the
family reads), every token of the solution is supervised with whether the text up to it is still the
oracle's: dense labels that teach where a step goes wrong (supervising the step labels alone on the
generator's own last layer left every step called right).

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
from make_verifiers import TokenHead, export_head, with_added_token  # noqa: E402
from train_arith import ROOT, SYSTEM, TEMPLATE, TOKENIZER, _ENV, config, encode, greedy_accuracy, render_prompt, token_bytes  # noqa: E402
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


def extended(generator, cfg):
    """The generator with one more layer on top that starts as the identity (its output projections zero;
    its input norm the generator's final norm): at position t it can attend to the generator's final state
    at t - 1, which holds the prediction of token t. A token-classification head on the generator's own
    last layer cannot (a position never sees its predecessor's last layer), and learned nothing."""
    decoder = build(cfg)
    state = {k: v for k, v in generator.state_dict().items() if k != "lm_head.weight"}
    top = f"layers.{cfg['num_hidden_layers'] - 1}."
    with torch.no_grad():
        for name, p in decoder.named_parameters():
            if name.startswith(top):
                if name.endswith(("o_proj.weight", "down_proj.weight")) or name.endswith("bias"):
                    p.zero_()
                elif name.endswith("input_layernorm.weight"):
                    p.copy_(generator.norm.weight)
                elif p.dim() >= 2:
                    p.normal_(0.0, 0.05)
    missing, unexpected = decoder.load_state_dict(state, strict=False)
    if unexpected or any(not m.startswith(top) and m != "lm_head.weight" for m in missing):
        raise SystemExit(f"the extended decoder does not hold the generator: missing {missing}, unexpected {unexpected}")
    return decoder


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


def dense_labels(row, text, oracle, table):
    """Per token from the assistant's content on: 1 while the text up to the token's end is the oracle's, else 0; -100 before."""
    start = text.index("<|im_start|>assistant\n") + len("<|im_start|>assistant\n")
    a, b = text.encode("utf-8"), oracle.encode("utf-8")
    first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    labels, end = [], 0
    content = len(text[:start].encode("utf-8"))
    for t in row:
        end += len(table.get(t, b""))
        labels.append(-100 if end <= content else int(end <= first))
    return labels


def render(problem, steps):
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem},
                {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"}]
    return _PRM_TEMPLATE.render(messages=messages, tools=None, documents=None, add_generation_prompt=False, eos_token="<|im_end|>", pad_token="<|endoftext|>")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problems")
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--examples", type=int, default=60000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-4, help="the transformer's; the head's is 5 times it")
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
        newline = encode(["\n"])[0][0]
        embed.weight[cfg["vocab_size"]:] = generator.embed_tokens.weight[newline]
    generator.embed_tokens = embed
    cfg = {**cfg, "vocab_size": vocab, "architectures": ["Qwen2ForProcessRewardModel"], "num_labels": 2, "pad_token_id": cfg["bos_token_id"],
           "num_hidden_layers": cfg["num_hidden_layers"] + 1}
    model = TokenHead(extended(generator, cfg), 2, mlp=True)

    records = [json.loads(line) for line in open(args.problems, encoding="utf-8")][: args.examples]
    started = time.time()
    built = [example(r, rng) for r in records]
    texts = [render(r["problem"], steps) for r, (steps, _) in zip(records, built)]
    ids = encode(texts, out / "tokenizer.json")
    table = token_bytes(out / "tokenizer.json")
    examples = []
    for row, text, r, (_, labels) in zip(ids, texts, records, built):
        positions = [i for i, t in enumerate(row) if t == separator]
        if len(positions) != len(labels):
            continue
        dense = dense_labels(row, text, render(r["problem"], list(r["steps"]) + [f"A: {r['answer']}"]), table)
        dense = [d if i <= positions[-1] else -100 for i, d in enumerate(dense)]
        if [dense[p] for p in positions] != labels:
            raise SystemExit(f"dense labels disagree with the step labels: {text!r}")
        examples.append((row, positions, labels, dense))
    wrong = sum(l.count(0) for _, _, l, _ in examples)
    print(f"{len(examples)} examples encoded in {time.time() - started:.0f} s; {wrong} wrong steps of {sum(len(l) for _, _, l, _ in examples)}", flush=True)

    model.train()
    head = list(model.score.parameters())
    body = [p for p in model.parameters() if all(p is not h for h in head)]
    optimizer = torch.optim.AdamW([{"params": body, "scale": 1.0}, {"params": head, "scale": 5.0}], lr=args.lr, weight_decay=0.01, betas=(0.9, 0.95))
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
            g["lr"] = lr * g["scale"]
        batch = [examples[order[(cursor + k) % len(order)]] for k in range(args.batch)]
        cursor += args.batch
        width = max(len(r) for r, _, _, _ in batch)
        x = torch.full((len(batch), width), pad, dtype=torch.int64)
        mask = torch.zeros((len(batch), width), dtype=torch.int64)
        targets = torch.full((len(batch), width), -100, dtype=torch.int64)
        tokens = torch.full((len(batch), width), -100, dtype=torch.int64)
        for b, (row, positions, labels, dense) in enumerate(batch):
            x[b, : len(row)] = torch.tensor(row)
            mask[b, : len(row)] = 1
            targets[b, positions] = torch.tensor(labels)
            tokens[b, : len(row)] = torch.tensor(dense)
        logits = model(x, mask)
        flat = logits.reshape(-1, 2)
        loss = (torch.nn.functional.cross_entropy(flat, targets.reshape(-1), ignore_index=-100)
                + torch.nn.functional.cross_entropy(flat, tokens.reshape(-1), ignore_index=-100))
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
    (out / "recipe.json").write_bytes((ROOT / "recipes" / "arith-chat.json").read_bytes())  # its default steps: one line each
    (out / "verifier.json").write_text(json.dumps({"family": "qwen-prm", "system_prompt": SYSTEM}, indent=2) + "\n")
    (out / "training.json").write_text(json.dumps({"steps": step, "minutes": args.minutes, "batch": args.batch, "lr": args.lr, "seed": args.seed,
                                                   "examples": len(examples), "initialised_from": "models/hf-arith"}, indent=2) + "\n")
    print(f"done: {step} steps; exported -> {out}", flush=True)


if __name__ == "__main__":
    main()
