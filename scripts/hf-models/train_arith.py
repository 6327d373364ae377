"""Trains a small Qwen2-format decoder (GQA, tied embeddings) on the arithmetic task through a real
tokenizer.json and the Qwen2.5 chat template, then writes it as an Optimum export folder:

    prompt     = chat_template(messages=[system, user: problem], add_generation_prompt=True)
    completion = "780+192=972\\n972-330=642\\n...\\nA: 393\\n" + <|im_end|>

The completion is the project's own solution format, so the project's verifiers (prm, orm) read what
this generator writes.

Problems come from `ttc-train problems` (never the held-out ones); token ids from Hugging Face's
tokenizers library (scripts/hf-fixtures/encode.mjs); the template is rendered by Jinja2 with
transformers' settings. The run stops at --minutes, logs to stdout, and checkpoints as it goes.

    python3 scripts/hf-models/train_arith.py PROBLEMS_JSONL OUT_DIR [--minutes 75]
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # torch's own threads do the parallel work; two pools oversubscribe 2 cores

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from architectures import build  # noqa: E402
from make_models import empty_past, export, ids_of, vocab_size  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "tests" / "data" / "tokenizers" / "qwen2" / "tokenizer.json"
TEMPLATE = ROOT / "tests" / "data" / "chat-templates" / "qwen2.5-instruct.jinja"
SYSTEM = "Solve the arithmetic problem one operation per line, then give the answer as A: <number>."


_ENV = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
_TEMPLATE = _ENV.from_string(TEMPLATE.read_text(encoding="utf-8"))


def render_prompt(problem):
    return _TEMPLATE.render(messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem}],
                           tools=None, documents=None, add_generation_prompt=True, eos_token="<|im_end|>", pad_token="<|endoftext|>")


def completion(record):
    return "".join(step + "\n" for step in record["steps"]) + f"A: {record['answer']}\n"


def encode(texts, tokenizer=TOKENIZER):
    """Ids from Hugging Face's tokenizers library for many texts (through a file), as tokenizer(text) gives them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts), encoding="utf-8")
        subprocess.check_call(["node", str(ROOT / "scripts" / "hf-fixtures" / "encode.mjs"), str(tokenizer), "@" + str(path)])
        return json.loads((pathlib.Path(tmp) / "texts.json.ids.json").read_text(encoding="utf-8"))


def config():
    bos_end, im_end = ids_of(TOKENIZER, ["<|endoftext|>", "<|im_end|>"])
    return {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu", "hidden_size": 128, "intermediate_size": 384,
            "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
            "rope_theta": 1000000.0, "tie_word_embeddings": True, "torch_dtype": "float32", "vocab_size": vocab_size(TOKENIZER),
            "bos_token_id": bos_end, "eos_token_id": im_end}


def greedy_accuracy(model, cfg, prompts, answers, eos, limit=48):
    """Greedy decoding with the cache, in PyTorch, on held-out problems: the share whose boxed answer is right."""
    right = 0
    with torch.no_grad():
        for ids, answer in zip(prompts[:limit], answers[:limit]):
            x = torch.tensor([ids])
            past = empty_past(cfg, 1)
            mask = torch.ones(1, len(ids), dtype=torch.int64)
            positions = torch.arange(len(ids))[None, :]
            out = []
            for _ in range(120):
                logits, *past = model(x, mask, positions, *past)
                t = int(logits[0, -1].argmax())
                if t == eos:
                    break
                out.append(t)
                x = torch.tensor([[t]])
                positions = torch.tensor([[mask.shape[1]]])
                mask = torch.ones(1, mask.shape[1] + 1, dtype=torch.int64)
            right += decode_tail(out) == answer
    return right / min(limit, len(prompts))


_BYTES = {}


def token_bytes(tokenizer=TOKENIZER):
    """Each id's text as bytes: byte-level BPE entries through GPT-2's byte table, added tokens as written (read once per tokenizer)."""
    key = str(tokenizer)
    if key not in _BYTES:
        table = _BYTES[key] = {}
        t = json.loads(pathlib.Path(tokenizer).read_text(encoding="utf-8"))
        direct = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
        chars, n = {}, 256
        for b in range(256):
            chars[chr(b) if b in direct else chr(n)] = b
            n += b not in direct
        table.update({v: bytes(chars[c] for c in k) for k, v in t["model"]["vocab"].items()})
        table.update({a["id"]: a["content"].encode("utf-8") for a in t["added_tokens"]})
    return _BYTES[key]


def decode_tail(ids):
    table = token_bytes()
    text = b"".join(table.get(i, b"") for i in ids).decode("utf-8", errors="replace")
    start = text.rfind("A: ")
    return text[start + 3:].strip() if start >= 0 else ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problems")
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=75)
    parser.add_argument("--heldout", default=str(ROOT / "data" / "arith" / "heldout.jsonl"))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(2)
    records = [json.loads(l) for l in open(args.problems, encoding="utf-8")]
    prompt_texts = [render_prompt(r["problem"]) for r in records]
    started = time.time()
    prompts = encode(prompt_texts)
    completions = encode([completion(r) for r in records])
    cfg = config()
    eos = cfg["eos_token_id"]
    examples = [(p, c + [eos]) for p, c in zip(prompts, completions)]
    heldout = [json.loads(l) for l in open(args.heldout, encoding="utf-8")][:48]
    held_prompts = encode([render_prompt(r["problem"]) for r in heldout])
    print(f"{len(examples)} examples encoded in {time.time() - started:.0f} s; mean length {sum(len(p) + len(c) for p, c in examples) / len(examples):.0f} tokens", flush=True)

    model = build(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.02)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.95))
    budget = args.minutes * 60
    clock = time.time()
    step = 0
    estimated_steps = None
    order = list(range(len(examples)))
    random.shuffle(order)
    cursor = 0
    while True:
        elapsed = time.time() - clock
        if elapsed > budget:
            break
        if step == 20:
            estimated_steps = int(budget / (elapsed / 20))
            print(f"about {estimated_steps} steps fit in {args.minutes} minutes", flush=True)
        total = estimated_steps or 10**9
        warm = 100
        lr = args.lr * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total))))
        for g in optimizer.param_groups:
            g["lr"] = lr
        batch = []
        for _ in range(args.batch):
            batch.append(examples[order[cursor % len(order)]])
            cursor += 1
        width = max(len(p) + len(c) for p, c in batch)
        ids = torch.full((len(batch), width), eos, dtype=torch.int64)
        targets = torch.full((len(batch), width), -100, dtype=torch.int64)
        mask = torch.zeros((len(batch), width), dtype=torch.int64)
        for r, (p, c) in enumerate(batch):
            seq = p + c
            ids[r, :len(seq)] = torch.tensor(seq)
            mask[r, :len(seq)] = 1
            targets[r, len(p) - 1:len(seq) - 1] = torch.tensor(c)
        positions = torch.arange(width)[None, :].expand(len(batch), width)
        logits = model(ids, mask, positions, *empty_past(cfg, len(batch)))[0]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f} lr {lr:.2e} {time.time() - clock:.0f} s", flush=True)
        if step % 1000 == 0 and step > 0:
            model.eval()
            print(f"step {step} held-out greedy accuracy {greedy_accuracy(model, cfg, held_prompts, [r['answer'] for r in heldout], eos):.3f}", flush=True)
            model.train()
            torch.save(model.state_dict(), pathlib.Path(args.out).with_suffix(".pt"))
        step += 1

    model.eval()
    print(f"done: {step} steps; held-out greedy accuracy {greedy_accuracy(model, cfg, held_prompts, [r['answer'] for r in heldout], eos):.3f}", flush=True)
    folder = pathlib.Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    export(model, cfg, folder, external_data=False)
    (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    (folder / "generation_config.json").write_text(json.dumps({"bos_token_id": cfg["bos_token_id"], "eos_token_id": [eos, cfg["bos_token_id"]], "pad_token_id": cfg["bos_token_id"]}, indent=2) + "\n")
    (folder / "tokenizer.json").write_bytes(TOKENIZER.read_bytes())
    (folder / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "model_max_length": 512,
                                                              "chat_template": TEMPLATE.read_text(encoding="utf-8")}, indent=2, ensure_ascii=False) + "\n")
    (folder / "recipe.json").write_bytes((ROOT / "recipes" / "arith-chat.json").read_bytes())
    (folder / "training.json").write_text(json.dumps({"steps": step, "minutes": args.minutes, "batch": args.batch, "lr": args.lr, "seed": args.seed,
                                                      "system_prompt": SYSTEM, "examples": len(examples)}, indent=2) + "\n")
    print(f"exported -> {folder}", flush=True)


if __name__ == "__main__":
    main()
