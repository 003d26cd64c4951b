#!/usr/bin/env python3
"""Renders Parley's built-in model templates with Python jinja2 exactly as HF transformers' apply_chat_template does,
and writes builtin-templates.golden.json next to this script. The C# tests compare against that file (CI need not
have Python). Run from anywhere:  python3 tests/Parley.Runtime.Tests/Templates/render_builtins.py

transformers' chat-template environment (transformers/utils/chat_template_utils.py, _compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]), a tojson filter
with ensure_ascii=False, globals raise_exception(msg) and strftime_now(fmt); bos_token/eos_token come from the
tokenizer_config.json (strings or {"content": ...}).
"""
import json
import os
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "..", "src", "Runtime", "Templates", "Models")


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime(2025, 7, 10, 12, 0, 0).strftime(fmt)  # frozen, as in the shared fixtures


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token(value):
    return value.get("content") if isinstance(value, dict) else value


def load(folder):
    with open(os.path.join(MODELS, folder, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    return config["chat_template"], token(config.get("bos_token")), token(config.get("eos_token"))


def msg(role, content, **extra):
    return dict(role=role, content=content, **extra)


SYSTEM = msg("system", "You are a helpful assistant.")
UNICODE = [msg("user", "  Grüße aus Köln — 日本語で答えて 🙂\n"), msg("assistant", "\nこんにちは！ 👋  ")]
MULTI = [msg("user", "What is 2+2?"), msg("assistant", "4"), msg("user", "And 3+3?"), msg("assistant", "6")]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city, in °C.",
          "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "e.g. Zürich"}}, "required": ["city"]}}}]

# Plain conversations: the C# tests check Format(messages, addGenerationPrompt) as well as Render(variables).
PLAIN = [
    ("system-user-assistant", [SYSTEM, msg("user", "Hi!"), msg("assistant", "Hello! How can I help?")], False),
    ("multi-turn", MULTI, False),
    ("multi-turn-prompt", [SYSTEM] + MULTI + [msg("user", "Thanks.")], True),
    ("user-prompt", [msg("user", "Tell me a joke.")], True),
    ("unicode-whitespace", UNICODE, False),
    ("empty-content", [msg("user", ""), msg("assistant", "")], False),
]

EXTRA = {
    "qwen3": [
        ("thinking-disabled", {"messages": [msg("user", "Hi")], "add_generation_prompt": True, "enable_thinking": False}),
        ("thinking-enabled", {"messages": [msg("user", "Hi")], "add_generation_prompt": True, "enable_thinking": True}),
        ("think-in-content", {"messages": [msg("user", "2+2?"), msg("assistant", "<think>\nadd them\n</think>\n\n4"), msg("user", "3+3?"),
                                           msg("assistant", "<think>\nagain\n</think>\n\n6")]}),
        ("reasoning-content", {"messages": [msg("user", "2+2?"), msg("assistant", "4", reasoning_content="2 and 2 make 4")]}),
        ("tools", {"messages": [SYSTEM, msg("user", "Weather in Zürich?"),
                                msg("assistant", "", tool_calls=[{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich"}}}]),
                                msg("tool", "{\"temperature\": 21}"), msg("assistant", "It is 21 °C in Zürich.")],
                   "tools": TOOLS, "add_generation_prompt": False}),
    ],
    "llama3_1": [
        ("tools-ignored", {"messages": [SYSTEM, msg("user", "Weather in Zürich?")], "tools": TOOLS, "add_generation_prompt": True}),
        ("bos-override", {"messages": [msg("user", "Hi")], "bos_token": "<BOS>", "add_generation_prompt": True}),
    ],
    "gemma3": [
        ("not-alternating", {"messages": [msg("user", "a"), msg("user", "b")]}),
        ("content-parts", {"messages": [msg("user", [{"type": "image"}, {"type": "text", "text": " Describe it. "}])], "add_generation_prompt": True}),
    ],
    "deepseek_v3": [
        ("two-systems", {"messages": [SYSTEM, msg("system", "Be brief."), msg("user", "Hi"), msg("assistant", "Hello.")]}),
        ("tool-calls", {"messages": [msg("user", "Weather in Zürich?"),
                                     {"role": "assistant", "content": None, "tool_calls": [
                                         {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Zürich\"}"}},
                                         {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Bern\"}"}}]},
                                     msg("tool", "21"), msg("tool", "19"), msg("assistant", "Zürich 21 °C, Bern 19 °C.")],
                        "add_generation_prompt": True}),
    ],
}

NAMES = {"qwen3": "qwen3", "llama3_1": "llama3.1", "gemma3": "gemma3", "deepseek_v3": "deepseek-v3"}


def main():
    env = environment()
    cases = []
    for folder, name in NAMES.items():
        source, bos, eos = load(folder)
        template = env.from_string(source)
        entries = [(case, {"messages": messages, "add_generation_prompt": prompt}, True) for case, messages, prompt in PLAIN]
        entries += [(case, variables, False) for case, variables in EXTRA[folder]]
        for case, variables, plain in entries:
            context = dict(variables)
            if bos is not None:
                context.setdefault("bos_token", bos)
            if eos is not None:
                context.setdefault("eos_token", eos)
            entry = {"template": name, "case": case, "plain": plain, "variables": variables}
            try:
                entry["expected"] = template.render(**context)
            except TemplateError as e:
                entry["error"] = str(e)
            cases.append(entry)
    out = os.path.join(HERE, "builtin-templates.golden.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"generator": "render_builtins.py, jinja2 " + jinja2.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
