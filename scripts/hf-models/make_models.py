"""Builds small decoders in the exact folder layout `optimum-cli export onnx --task
text-generation-with-past` writes (config.json, generation_config.json, model.onnx with Optimum's input
and output names, tokenizer.json, tokenizer_config.json with the chat template), with fixed seeds, and
a reference computed by PyTorch without a KV cache (parity.json): greedy tokens over 32 steps and the
logits of the first and last step, for a left-padded batch of two prompts. The prompt ids come from
Hugging Face's tokenizers library (scripts/hf-fixtures/encode.mjs), not from the project's code.

    python3 scripts/hf-models/make_models.py OUT_DIR
"""
import json
import pathlib
import shutil
import subprocess
import sys

import onnx
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from architectures import build, kv_shape  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZERS = ROOT / "tests" / "data" / "tokenizers"
TEMPLATES = ROOT / "tests" / "data" / "chat-templates"
PROMPTS = ["Question: Natalia sold 48 clips in April and half as many in May. How many in all?\nAnswer:", "Hi"]
STEPS = 32


def ids_of(tokenizer, names):
    added = {t["content"]: t["id"] for t in json.loads(tokenizer.read_text(encoding="utf-8"))["added_tokens"]}
    return [added[n] for n in names]


def vocab_size(tokenizer):
    t = json.loads(tokenizer.read_text(encoding="utf-8"))
    return max(max(t["model"]["vocab"].values()), max(a["id"] for a in t["added_tokens"])) + 1


def specs():
    llama_tok = TOKENIZERS / "llama3" / "tokenizer.json"
    qwen_tok = TOKENIZERS / "qwen2" / "tokenizer.json"
    gpt2_tok = TOKENIZERS / "gpt2" / "tokenizer.json"
    bos, end_of_text, eom, eot = ids_of(llama_tok, ["<|begin_of_text|>", "<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"])
    q_endoftext, q_im_end = ids_of(qwen_tok, ["<|endoftext|>", "<|im_end|>"])
    (g_end,) = ids_of(gpt2_tok, ["<|endoftext|>"])
    rotary = {"hidden_act": "silu", "max_position_embeddings": 512, "rms_norm_eps": 1e-5, "torch_dtype": "float32", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}
    return {
        "llama-gqa": dict(
            tokenizer=llama_tok, template="llama-3.2-instruct", external_data=True,
            tokens={"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
            config={**rotary, "architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_key_value_heads": 2, "rope_theta": 500000.0,
                    "attention_bias": False, "tie_word_embeddings": False, "vocab_size": vocab_size(llama_tok) + 13,
                    "bos_token_id": bos, "eos_token_id": end_of_text},
            generation={"bos_token_id": bos, "eos_token_id": [end_of_text, eom, eot], "do_sample": True, "temperature": 0.6, "top_p": 0.9}),
        "qwen2-tied": dict(
            tokenizer=qwen_tok, template="qwen2.5-instruct", external_data=False,
            tokens={"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
            config={**rotary, "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "num_key_value_heads": 2, "rope_theta": 1000000.0,
                    "tie_word_embeddings": True, "vocab_size": vocab_size(qwen_tok), "bos_token_id": q_endoftext, "eos_token_id": q_im_end},
            generation={"bos_token_id": q_endoftext, "eos_token_id": [q_im_end, q_endoftext], "pad_token_id": q_endoftext}),
        "qwen3-head-dim": dict(
            tokenizer=qwen_tok, template="qwen2.5-instruct", external_data=False,
            tokens={"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
            config={**rotary, "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "num_key_value_heads": 1, "head_dim": 32,
                    "rope_theta": 1000000.0, "attention_bias": False, "tie_word_embeddings": True, "vocab_size": vocab_size(qwen_tok),
                    "bos_token_id": q_endoftext, "eos_token_id": q_im_end},
            generation=None),
        "gpt2": dict(
            tokenizer=gpt2_tok, template=None, external_data=False,
            tokens={"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
            config={"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 512,
                    "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "vocab_size": vocab_size(gpt2_tok),
                    "bos_token_id": g_end, "eos_token_id": g_end, "tie_word_embeddings": True},
            generation={"bos_token_id": g_end, "eos_token_id": g_end}),
        "qwen2-merged": dict(
            tokenizer=qwen_tok, template="qwen2.5-instruct", external_data=False, merged=True,
            tokens={"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
            config={**rotary, "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "num_key_value_heads": 2, "rope_theta": 1000000.0,
                    "tie_word_embeddings": True, "vocab_size": vocab_size(qwen_tok), "bos_token_id": q_endoftext, "eos_token_id": q_im_end},
            generation={"bos_token_id": q_endoftext, "eos_token_id": [q_im_end, q_endoftext], "pad_token_id": q_endoftext}),
        # A half-precision export (optimum-cli --dtype fp16): the llama layout with every float tensor in float16.
        "llama-gqa-f16": dict(
            tokenizer=llama_tok, template="llama-3.2-instruct", external_data=True, float16=True,
            tokens={"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
            config={**rotary, "torch_dtype": "float16", "architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_key_value_heads": 2,
                    "rope_theta": 500000.0, "attention_bias": False, "tie_word_embeddings": False, "vocab_size": vocab_size(llama_tok) + 13,
                    "bos_token_id": bos, "eos_token_id": end_of_text},
            generation={"bos_token_id": bos, "eos_token_id": [end_of_text, eom, eot]}),
        # Phi-4-mini's layout: fused qkv_proj and gate_up_proj, a quarter of each head left unrotated, tied embeddings.
        "phi3": dict(
            tokenizer=qwen_tok, template="phi-4-mini-instruct", external_data=False,
            tokens={"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"},
            config={**rotary, "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "num_key_value_heads": 2, "rope_theta": 10000.0,
                    "partial_rotary_factor": 0.75, "tie_word_embeddings": True, "vocab_size": vocab_size(qwen_tok),
                    "bos_token_id": q_endoftext, "eos_token_id": q_endoftext, "pad_token_id": q_endoftext},
            generation={"bos_token_id": q_endoftext, "eos_token_id": [q_endoftext], "pad_token_id": q_endoftext}),
    }


def initialize(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.08)
            elif name.endswith("bias"):
                p.normal_(0.0, 0.05)
            else:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))


def empty_past(config, batch, length=0):
    layers, heads, head_dim = kv_shape(config)
    return [torch.zeros(batch, heads, length, head_dim) for _ in range(2 * layers)]


class NoPast(torch.nn.Module):
    """The decoder without past inputs (the first step of a merged decoder): an empty past made inside."""

    def __init__(self, model, config):
        super().__init__()
        self.model, self.config = model, config

    def forward(self, input_ids, attention_mask, position_ids):
        layers, heads, head_dim = kv_shape(self.config)
        empty = input_ids.new_zeros((input_ids.shape[0], heads, 0, head_dim), dtype=torch.float32)
        return self.model(input_ids, attention_mask, position_ids, *([empty] * (2 * layers)))


def export_merged(model, config, folder):
    """decoder_model_merged.onnx as Optimum lays it out (merge.py), and no model.onnx."""
    from merge import merge
    layers, _, _ = kv_shape(config)
    present_names = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    dummy = (torch.ones(2, 3, dtype=torch.int64), torch.ones(2, 3, dtype=torch.int64), torch.arange(3, dtype=torch.int64).repeat(2, 1))
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in present_names:
        axes[n] = {0: "batch_size", 2: "total_sequence_length"}
    no_past = folder / "no_past.tmp.onnx"
    torch.onnx.export(NoPast(model, config), dummy, str(no_past), input_names=["input_ids", "attention_mask", "position_ids"],
                      output_names=["logits", *present_names], dynamic_axes=axes, opset_version=14, do_constant_folding=True)
    export(model, config, folder, external_data=False)
    merge(str(no_past), str(folder / "model.onnx"), str(folder / "decoder_model_merged.onnx"))
    no_past.unlink()
    (folder / "model.onnx").unlink()


def export(model, config, folder, external_data, float16=False):
    layers, _, _ = kv_shape(config)
    past_names = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    present_names = [n.replace("past_key_values", "present") for n in past_names]
    batch, new, past = 2, 3, 4
    dummy = (torch.ones(batch, new, dtype=torch.int64), torch.ones(batch, past + new, dtype=torch.int64),
             torch.arange(past, past + new, dtype=torch.int64).repeat(batch, 1), *empty_past(config, batch, past))
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_names:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        axes[n] = {0: "batch_size", 2: "total_sequence_length"}
    path = folder / "model.onnx"
    torch.onnx.export(model, dummy, str(path), input_names=["input_ids", "attention_mask", "position_ids", *past_names],
                      output_names=["logits", *present_names], dynamic_axes=axes, opset_version=14, do_constant_folding=True)
    if external_data or float16:
        graph = onnx.load(str(path))
        if float16:
            from to_float16 import convert
            convert(graph)
        onnx.save_model(graph, str(path), save_as_external_data=external_data, all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=0)


def reference(model, config, prompt_ids, pad):
    """Greedy decoding recomputing the whole left-padded batch every step (no cache)."""
    width = max(len(p) for p in prompt_ids)
    rows = [[pad] * (width - len(p)) + p for p in prompt_ids]
    mask = [[0] * (width - len(p)) + [1] * len(p) for p in prompt_ids]
    tokens = [[] for _ in prompt_ids]
    first = last = None
    with torch.no_grad():
        for step in range(STEPS):
            ids = torch.tensor(rows)
            attention = torch.tensor(mask)
            positions = (attention.cumsum(-1) - 1).clamp(min=0)
            logits = model(ids, attention, positions, *empty_past(config, len(rows)))[0][:, -1, :]
            first = logits if step == 0 else first
            last = logits
            for r, t in enumerate(logits.argmax(-1).tolist()):
                tokens[r].append(t)
                rows[r].append(t)
                mask[r].append(1)
    return {"parameters": sum(p.numel() for p in model.parameters()), "prompts": PROMPTS, "prompt_ids": prompt_ids, "pad_id": pad, "steps": STEPS, "greedy_tokens": tokens,
            "first_step_logits": first.tolist(), "last_step_logits": last.tolist()}


def main(out):
    out = pathlib.Path(out)
    for seed, (name, spec) in enumerate(specs().items(), start=1):
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        config = spec["config"]
        model = build(config).eval()
        initialize(model, seed)
        if spec.get("merged"):
            export_merged(model, config, folder)
        else:
            export(model, config, folder, spec["external_data"], spec.get("float16", False))
        if spec.get("float16"):
            model.half().float()  # the reference runs the float16 weights (in float32: PyTorch on the CPU has no half matmul)
        (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        if spec["generation"] is not None:
            (folder / "generation_config.json").write_text(json.dumps(spec["generation"], indent=2) + "\n")
        shutil.copy(spec["tokenizer"], folder / "tokenizer.json")
        tokenizer_config = {**spec["tokens"], "model_max_length": 512}
        if spec["template"] is not None:
            tokenizer_config["chat_template"] = (TEMPLATES / f"{spec['template']}.jinja").read_text(encoding="utf-8")
        (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2, ensure_ascii=False) + "\n")
        prompt_ids = json.loads(subprocess.check_output(["node", str(ROOT / "scripts" / "hf-fixtures" / "encode.mjs"), str(folder / "tokenizer.json"), json.dumps(PROMPTS)]))
        pad = (spec["generation"] or {}).get("pad_token_id") or (config["eos_token_id"] if isinstance(config["eos_token_id"], int) else config["eos_token_id"][0])
        (folder / "parity.json").write_text(json.dumps(reference(model, config, prompt_ids, pad)) + "\n")
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters -> {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "hf-test"))
