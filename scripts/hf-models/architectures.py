"""Decoder architectures in PyTorch, written from the published model definitions (the math of
transformers' LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM and GPT2LMHeadModel): RMSNorm or
LayerNorm, rotary or learned positions, grouped-query attention, SwiGLU or GELU MLPs, tied or separate
output embeddings. Each forward takes Optimum's decoder-with-past inputs and returns its outputs:

    forward(input_ids [b, s], attention_mask [b, past + s], position_ids [b, s], *past)
      -> (logits [b, s, vocab], *present)   past/present: key, value per layer, [b, kv_heads, t, head_dim]
"""
import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary(q, k, positions, head_dim, theta, rotary_dim=None):
    """Rotary embeddings on the first rotary_dim dimensions of each head (all of them by default; Phi-3's
    partial_rotary_factor rotates a share and passes the rest through)."""
    rd = rotary_dim or head_dim
    inv_freq = 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.float32) / rd))
    freqs = positions.to(torch.float32)[..., None] * inv_freq  # [b, s, rd/2]
    emb = torch.cat((freqs, freqs), dim=-1)[:, None, :, :]  # [b, 1, s, rd]
    cos, sin = emb.cos(), emb.sin()
    (q_rot, q_pass), (k_rot, k_pass) = (q[..., :rd], q[..., rd:]), (k[..., :rd], k[..., rd:])
    return (torch.cat((q_rot * cos + rotate_half(q_rot) * sin, q_pass), dim=-1),
            torch.cat((k_rot * cos + rotate_half(k_rot) * sin, k_pass), dim=-1))


def attend(q, k, v, attention_mask, groups):
    """Causal attention of the new queries over past + new keys, with the padding mask; GQA repeats kv heads."""
    if groups > 1:  # transformers' repeat_kv: each kv head serves `groups` query heads
        b, kv, t, hd = k.shape
        k = k[:, :, None, :, :].expand(b, kv, groups, t, hd).reshape(b, kv * groups, t, hd)
        v = v[:, :, None, :, :].expand(b, kv, groups, t, hd).reshape(b, kv * groups, t, hd)
    s = q.shape[2]
    total = k.shape[2]
    past = total - s
    query_at = torch.arange(s)[:, None] + past
    key_at = torch.arange(total)[None, :]
    allowed = (key_at <= query_at)[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
    scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~allowed, torch.finfo(torch.float32).min)
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class RotaryLayer(nn.Module):
    """One Llama / Mistral / Qwen2 / Qwen3 / Phi-3 decoder layer (Phi-3 fuses q/k/v and gate/up into one
    projection each and may rotate only partial_rotary_factor of each head)."""

    def __init__(self, c):
        super().__init__()
        d, h, kv, hd = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        bias = c.get("attention_bias", False) or c["model_type"] == "qwen2"
        self.c = c
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.fused = c["model_type"] == "phi3"
        if self.fused:
            self.qkv_proj = nn.Linear(d, (h + 2 * kv) * hd, bias=False)
        else:
            self.q_proj = nn.Linear(d, h * hd, bias=bias)
            self.k_proj = nn.Linear(d, kv * hd, bias=bias)
            self.v_proj = nn.Linear(d, kv * hd, bias=bias)
        self.o_proj = nn.Linear(h * hd, d, bias=False)
        if c["model_type"] == "qwen3":
            self.q_norm = RMSNorm(hd, c["rms_norm_eps"])
            self.k_norm = RMSNorm(hd, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        if self.fused:
            self.gate_up_proj = nn.Linear(d, 2 * c["intermediate_size"], bias=False)
        else:
            self.gate_proj = nn.Linear(d, c["intermediate_size"], bias=False)
            self.up_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], d, bias=False)

    def forward(self, x, attention_mask, positions, past_key, past_value):
        c = self.c
        b, s, _ = x.shape
        h, kv, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        y = self.input_layernorm(x)
        if self.fused:
            q, k, v = self.qkv_proj(y).split([h * hd, kv * hd, kv * hd], dim=-1)
        else:
            q, k, v = self.q_proj(y), self.k_proj(y), self.v_proj(y)
        q = q.view(b, s, h, hd).transpose(1, 2)
        k = k.view(b, s, kv, hd).transpose(1, 2)
        v = v.view(b, s, kv, hd).transpose(1, 2)
        if c["model_type"] == "qwen3":
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = rotary(q, k, positions, hd, c["rope_theta"], int(hd * c.get("partial_rotary_factor", 1.0)))
        k = torch.cat((past_key, k), dim=2)
        v = torch.cat((past_value, v), dim=2)
        a = attend(q, k, v, attention_mask, h // kv).transpose(1, 2).reshape(b, s, h * hd)
        x = x + self.o_proj(a)
        y = self.post_attention_layernorm(x)
        gate, up = self.gate_up_proj(y).chunk(2, dim=-1) if self.fused else (self.gate_proj(y), self.up_proj(y))
        x = x + self.down_proj(nn.functional.silu(gate) * up)
        return x, k, v


class RotaryDecoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(RotaryLayer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if c["tie_word_embeddings"]:
            self.lm_head.weight = self.embed_tokens.weight

    def forward(self, input_ids, attention_mask, position_ids, *past):
        x = self.embed_tokens(input_ids)
        present = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, attention_mask, position_ids, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (self.lm_head(self.norm(x)), *present)


class Gpt2Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["n_embd"]
        self.c = c
        self.ln_1 = nn.LayerNorm(d, eps=c["layer_norm_epsilon"])
        self.c_attn = nn.Linear(d, 3 * d)
        self.attn_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d, eps=c["layer_norm_epsilon"])
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)

    def forward(self, x, attention_mask, past_key, past_value):
        b, s, d = x.shape
        h = self.c["n_head"]
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (t.view(b, s, h, d // h).transpose(1, 2) for t in (q, k, v))
        k = torch.cat((past_key, k), dim=2)
        v = torch.cat((past_value, v), dim=2)
        a = attend(q, k, v, attention_mask, 1).transpose(1, 2).reshape(b, s, d)
        x = x + self.attn_proj(a)
        y = self.c_fc(self.ln_2(x))
        gelu = 0.5 * y * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (y + 0.044715 * torch.pow(y, 3.0))))
        return x + self.mlp_proj(gelu), k, v


class Gpt2Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.h = nn.ModuleList(Gpt2Layer(c) for _ in range(c["n_layer"]))
        self.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])

    def forward(self, input_ids, attention_mask, position_ids, *past):
        x = self.wte(input_ids) + self.wpe(position_ids)
        present = []
        for i, layer in enumerate(self.h):
            x, k, v = layer(x, attention_mask, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (torch.matmul(self.ln_f(x), self.wte.weight.t()), *present)


def build(config):
    if config["model_type"] == "gpt2":
        return Gpt2Decoder(config)
    c = dict(config)
    c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
    return RotaryDecoder(c)


def kv_shape(config):
    if config["model_type"] == "gpt2":
        return config["n_layer"], config["n_head"], config["n_embd"] // config["n_head"]
    return config["num_hidden_layers"], config["num_key_value_heads"], config.get("head_dim", config["hidden_size"] // config["num_attention_heads"])
