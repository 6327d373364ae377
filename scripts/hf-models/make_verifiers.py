"""Builds small verifiers in the layouts of the public reward-model families, with fixed seeds, and a
reference (reference.json) for each: the input ids, the positions read and every step's score, computed
by PyTorch from the inputs each model card builds (re-implemented here from the cards, independently of
the C# runtime; ids from Hugging Face's tokenizers library, templates rendered by Jinja2 as transformers
renders them). Families:

  qwen-prm       Qwen2ForProcessRewardModel (token classification, 2 labels): system prompt, the problem,
                 the steps joined by <extra_0> with a trailing <extra_0>; softmax(logits)[1] at each <extra_0>.
  math-shepherd  a causal LM: problem + " " + the solution with " ки" before every step delimiter (and at
                 the end); P(+) over the logits of {+, -} at each ки.
  chat-judge     a causal LM: each step a user turn (the first prefixed with the problem and a space), "+"
                 the assistant's; P(+) over {+, -} at the position that predicts each assistant "+".
  value-head     a scalar head on every position (Skywork-o1-Open-PRM style): bos + problem + "\\n", then
                 each step's ids and the step token's id; sigmoid of the head at each step token.
  outcome        Qwen2ForSequenceClassification (1 label, pooled at the last non-pad token): the problem
                 and the whole solution as a user and an assistant turn; sigmoid of the one logit.

    python3 scripts/hf-models/make_verifiers.py OUT_DIR
"""
import json
import pathlib
import shutil
import subprocess
import sys
from datetime import datetime

import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "hf-fixtures"))
from architectures import build  # noqa: E402
from make_models import ROOT, TEMPLATES, TOKENIZERS, empty_past, export, initialize, vocab_size  # noqa: E402
from transformers_jinja import environment, render  # noqa: E402

ENV = environment(datetime(2026, 12, 3, 12, 0, 0))
QWEN_PRM_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
PROBLEMS = ["What is $\\frac{3}{4}$ of 48?", "Natalia sold 48 clips in April and half as many in May. How many clips did she sell in all?"]
SOLUTIONS = [
    (0, "Half of 48 is 24.\n\nA quarter of 48 is 12, so three quarters are 36.\n\nThe answer is $\\boxed{36}$.", "\n\n"),
    (0, "3/4 of 48 = 36", "\n\n"),
    (1, "In May she sold 48 / 2 = 24 clips.\n\nIn all she sold 48 + 24 = 72 clips.\n\n", "\n\n"),
    (1, "48 / 2 = 24\n48 + 24 = 72\nA: 72", "\n"),
]


def encode(tokenizer, texts, plain=False):
    args = ["node", str(ROOT / "scripts" / "hf-fixtures" / "encode.mjs"), str(tokenizer), json.dumps(texts)] + (["plain"] if plain else [])
    return json.loads(subprocess.check_output(args))


def rotary_config(vocab, **extra):
    return {"hidden_act": "silu", "max_position_embeddings": 512, "rms_norm_eps": 1e-5, "torch_dtype": "float32", "hidden_size": 64,
            "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rope_theta": 1000000.0,
            "model_type": "qwen2", "tie_word_embeddings": True, "vocab_size": vocab, **extra}


def hidden(decoder, input_ids, attention_mask):
    """The decoder's last hidden states (after its final norm) over a whole sequence, positions counted from 0."""
    positions = torch.arange(input_ids.shape[1]).repeat(input_ids.shape[0], 1)
    x = decoder.embed_tokens(input_ids)
    for layer, (k, v) in zip(decoder.layers, zip(*[iter(empty_past(decoder.c, input_ids.shape[0]))] * 2)):
        x, _, _ = layer(x, attention_mask, positions, k, v)
    return decoder.norm(x)


class TokenHead(nn.Module):
    """Token classification (Qwen2ForProcessRewardModel's score head: Linear, ReLU, Linear) or a scalar value per position."""

    def __init__(self, decoder, labels, mlp):
        super().__init__()
        d = decoder.c["hidden_size"]
        self.decoder = decoder
        self.score = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, labels)) if mlp else nn.Linear(d, labels)
        self.scalar = labels == 1

    def forward(self, input_ids, attention_mask):
        out = self.score(hidden(self.decoder, input_ids, attention_mask))
        return out.squeeze(-1) if self.scalar else out


class SequenceHead(nn.Module):
    """Sequence classification as transformers pools it: the score of the last token that is not the pad id."""

    def __init__(self, decoder, pad_id):
        super().__init__()
        self.decoder = decoder
        self.score = nn.Linear(decoder.c["hidden_size"], 1, bias=False)
        self.pad_id = pad_id

    def forward(self, input_ids, attention_mask):
        logits = self.score(hidden(self.decoder, input_ids, attention_mask))
        real = (input_ids != self.pad_id).to(torch.int64)
        last = (torch.arange(input_ids.shape[1]) * real).argmax(-1)
        return logits[torch.arange(input_ids.shape[0]), last]


def export_head(model, folder, output):
    dummy = (torch.ones(2, 5, dtype=torch.int64), torch.ones(2, 5, dtype=torch.int64))
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"},
            output: {0: "batch_size", 1: "sequence_length"} if output != "logits" or isinstance(model, TokenHead) else {0: "batch_size"}}
    torch.onnx.export(model, dummy, str(folder / "model.onnx"), input_names=["input_ids", "attention_mask"], output_names=[output],
                      dynamic_axes=axes, opset_version=14, do_constant_folding=True)


def steps_of(solution, delimiter):
    return [s for s in solution.split(delimiter) if s != ""]


def softmax_pick(logits, ids, pick):
    return torch.softmax(logits[ids], dim=-1)[pick].item()


# --- the families' inputs and read-outs, as their model cards build them ---------------------------------

def qwen_prm(tok, template, tokens, model, problem, solution, delimiter):
    messages = [{"role": "system", "content": QWEN_PRM_SYSTEM}, {"role": "user", "content": problem},
                {"role": "assistant", "content": "<extra_0>".join(steps_of(solution, delimiter)) + "<extra_0>"}]
    ids = encode(tok, [render(ENV, template, messages, False, tokens)])[0]  # tokenizer.encode(conversation_str)
    sep = encode(tok, ["<extra_0>"], plain=True)[0][0]
    read = [i for i, t in enumerate(ids) if t == sep]
    with torch.no_grad():
        logits = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.int64))[0]
    return ids, read, [torch.softmax(logits[i], -1)[1].item() for i in read]


def math_shepherd(tok, template, tokens, model, problem, solution, delimiter):
    tagged = solution.replace(delimiter, " ки" + delimiter)
    if not solution.endswith(delimiter):
        tagged += " ки"
    ids = encode(tok, [f"{problem} {tagged}"])[0]
    plus, minus = encode(tok, ["+ -"])[0][1:]  # tokenizer.encode("+ -")[1:]
    tag = encode(tok, ["ки"])[0][-1]  # tokenizer.encode("ки")[-1]
    read = [i for i, t in enumerate(ids) if t == tag]
    with torch.no_grad():
        logits = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.int64), torch.arange(len(ids))[None], *empty_past(model.c, 1))[0][0]
    return ids, read, [softmax_pick(logits[i], [plus, minus], 0) for i in read]


def chat_judge(tok, template, tokens, model, problem, solution, delimiter):
    plus, minus = encode(tok, ["+"])[0][-1], encode(tok, ["-"])[0][-1]
    conversation, scores, read = [], [], []
    for k, step in enumerate(steps_of(solution, delimiter)):
        conversation += [{"role": "user", "content": f"{problem} {step}" if k == 0 else step}, {"role": "assistant", "content": "+"}]
        ids = encode(tok, [render(ENV, template, conversation, False, tokens)], plain=True)[0]  # apply_chat_template(tokenize=True)
        at = len(ids) - 1 - ids[::-1].index(plus) - 1  # the position predicting the assistant's "+" (-3 with Llama 3.1's template)
        with torch.no_grad():  # one pass per step, as the card does
            logits = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.int64), torch.arange(len(ids))[None], *empty_past(model.c, 1))[0][0]
        scores.append(softmax_pick(logits[at], [plus, minus], 0))
        read.append(at)
    return ids, read, scores


def value_head(tok, template, tokens, model, problem, solution, delimiter):
    ids = encode(tok, [tokens["bos_token"] + problem + "\n"])[0]
    step_id = encode(tok, [delimiter])[0][-1]
    read = []
    for step in solution.split(delimiter):
        if step == "":
            continue
        ids += encode(tok, [step])[0] + [step_id]
        read.append(len(ids) - 1)
    with torch.no_grad():
        values = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.int64))[0]
    return ids, read, [torch.sigmoid(values[i]).item() for i in read]


def outcome(tok, template, tokens, model, problem, solution, delimiter):
    messages = [{"role": "user", "content": problem}, {"role": "assistant", "content": solution}]
    ids = encode(tok, [render(ENV, template, messages, False, tokens)], plain=True)[0]
    with torch.no_grad():
        logit = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.int64))[0, 0]
    return ids, [len(ids) - 1], [torch.sigmoid(logit).item()]


def with_added_token(source, folder, content):
    """A copy of a tokenizer.json with one more special added token (Qwen2.5-Math-PRM's <extra_0>); its new vocabulary size."""
    t = json.loads(source.read_text(encoding="utf-8"))
    new_id = vocab_size(source)
    t["added_tokens"].append({"id": new_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True})
    (folder / "tokenizer.json").write_text(json.dumps(t, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return new_id + 1


def main(out):
    out = pathlib.Path(out)
    qwen, mistral = TOKENIZERS / "qwen2" / "tokenizer.json", TOKENIZERS / "mistral" / "tokenizer.json"
    qwen_template = (TEMPLATES / "qwen2.5-instruct.jinja").read_text(encoding="utf-8")
    qwen_tokens = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}
    q_pad = encode(qwen, ["<|endoftext|>"], plain=True)[0][0]
    specs = {
        "qwen-prm": (qwen_prm, qwen, qwen_template, qwen_tokens, None, ["Qwen2ForProcessRewardModel"]),
        "math-shepherd": (math_shepherd, mistral, None, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, {"family": "math-shepherd"}, ["MistralForCausalLM"]),
        "chat-judge": (chat_judge, qwen, qwen_template, qwen_tokens, {"family": "chat-judge"}, ["Qwen2ForCausalLM"]),
        "value-head": (value_head, qwen, qwen_template, qwen_tokens, {"family": "value-head", "output": "values"}, ["Qwen2ForPrmModel"]),
        "outcome": (outcome, qwen, qwen_template, qwen_tokens, None, ["Qwen2ForSequenceClassification"]),
    }
    for seed, (name, (family, tok, template, tokens, verifier, architectures)) in enumerate(specs.items(), start=11):
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        vocab = with_added_token(tok, folder, "<extra_0>") if name == "qwen-prm" else vocab_size(tok)
        if name != "qwen-prm":
            shutil.copy(tok, folder / "tokenizer.json")
        eos = encode(folder / "tokenizer.json", [tokens["eos_token"]], plain=True)[0][0]
        pad = q_pad if tok == qwen else eos
        config = rotary_config(vocab, architectures=architectures, eos_token_id=eos, pad_token_id=pad)
        if name == "math-shepherd":
            config.update(model_type="mistral", tie_word_embeddings=False, rope_theta=10000.0, sliding_window=None)
        decoder = build(config).eval()
        if name in ("math-shepherd", "chat-judge"):
            model = decoder
            initialize(model, seed)
            export(model, config, folder, external_data=False)
        else:
            model = (TokenHead(decoder, 2, mlp=True) if name == "qwen-prm" else TokenHead(decoder, 1, mlp=False) if name == "value-head"
                     else SequenceHead(decoder, pad)).eval()
            if name == "qwen-prm":
                config["num_labels"] = 2
            initialize(model, seed)
            export_head(model, folder, "values" if name == "value-head" else "logits")
        (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        tokenizer_config = {**tokens, "model_max_length": 512}
        if template is not None:
            tokenizer_config["chat_template"] = template
        (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2, ensure_ascii=False) + "\n")
        if verifier is not None:
            (folder / "verifier.json").write_text(json.dumps(verifier, indent=2) + "\n")
        cases = []
        for problem_index, solution, delimiter in SOLUTIONS:
            problem = PROBLEMS[problem_index]
            ids, read, scores = family(folder / "tokenizer.json", template, tokens, model, problem, solution, delimiter)
            cases.append({"problem": problem, "solution": solution, "delimiter": delimiter, "ids": ids, "read_at": read, "step_scores": scores})
        (folder / "reference.json").write_text(json.dumps({"family": name, "cases": cases}, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters -> {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "hf-verifiers"))
