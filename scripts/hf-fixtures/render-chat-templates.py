"""Renders the chat templates of tests/data/chat-templates with Jinja2, set up exactly as transformers'
apply_chat_template sets it up (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop
controls, its tojson, raise_exception and strftime_now, the special tokens as variables, tools=None and
documents=None), and records every output or error in cases.json. The C# renderer must reproduce
them byte for byte. The clock is fixed so that strftime_now is reproducible.

    python3 scripts/hf-fixtures/render-chat-templates.py
"""
import json
import pathlib
from datetime import datetime

import jinja2
from transformers_jinja import environment

NOW = datetime(2026, 12, 3, 12, 0, 0)
env = environment(NOW)
HERE = pathlib.Path(__file__).resolve().parent
FOLDER = HERE.parent.parent / "tests" / "data" / "chat-templates"

# Special tokens as each model's tokenizer_config.json names them.
TOKENS = {
    "qwen2.5-instruct": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llama-3.2-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-nemo-instruct": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "deepseek-r1-distill": {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
    "phi-4-mini-instruct": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"},
    "constructs": {"bos_token": "<s>", "eos_token": "</s>"},
}

SYSTEM = {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."}
USER = {"role": "user", "content": "What is $\\frac{3}{4}$ of 48?"}
CONVERSATIONS = {
    "user": [USER],
    "system-user": [SYSTEM, USER],
    "multi-turn": [SYSTEM, USER, {"role": "assistant", "content": "<think>\nhalf of 48 is 24\n</think>\n\n$\\boxed{36}$"}, {"role": "user", "content": "  And of 100?  \n"}],
    "assistant-last": [USER, {"role": "assistant", "content": "It is 36."}],
    "unicode-quotes": [{"role": "user", "content": "Quote \"this\" and 'that' \\ back\nslash, café 数学 🦙 {{ not a tag }} {% neither %}"}],
    "not-alternating": [USER, USER],
}


cases = []
for name, tokens in TOKENS.items():
    template = env.from_string((FOLDER / f"{name}.jinja").read_text(encoding="utf-8"))
    for conversation, messages in CONVERSATIONS.items():
        for generation_prompt in (True, False):
            case = {"template": name, "conversation": conversation, "add_generation_prompt": generation_prompt, "special_tokens": tokens}
            try:
                case["output"] = template.render(messages=messages, tools=None, documents=None, add_generation_prompt=generation_prompt, **tokens)
            except jinja2.exceptions.TemplateError as e:
                case["error"] = str(e)
            cases.append(case)

out = {"renderer": f"jinja2 {jinja2.__version__} with transformers' apply_chat_template settings", "now": NOW.isoformat(), "conversations": CONVERSATIONS, "cases": cases}
(FOLDER / "cases.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"{len(cases)} cases, {sum('error' in c for c in cases)} errors")
