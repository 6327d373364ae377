"""Jinja2 set up as transformers' apply_chat_template sets it up: ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and loop controls, its tojson filter, raise_exception and strftime_now (at a
fixed clock, for reproducible fixtures). Templates are rendered with the special tokens as variables,
tools=None and documents=None."""
import json

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment


def environment(now):
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: now.strftime(fmt)
    return env


def render(env, template, messages, add_generation_prompt, tokens):
    return env.from_string(template).render(messages=messages, tools=None, documents=None, add_generation_prompt=add_generation_prompt, **tokens)
