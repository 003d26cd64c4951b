#!/usr/bin/env python3
"""Peer benchmark: Python jinja2 rendering chat templates exactly as HF transformers' apply_chat_template does.

The environment is built as transformers' `_compile_jinja_template` builds it: ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks, the loopcontrols extension and a `{% generation %}` extension (transformers'
AssistantTracker, inactive as in a plain apply_chat_template call), a `tojson` filter that is json.dumps with
ensure_ascii=False, and the globals raise_exception and strftime_now. Each template is compiled once; only render()
is timed.

Workloads: benchmarks/peers/jinja-workloads.json (templates named by their case in
shared/fixtures/jinja/e2e-cases.json, read in place; conversations of 3 and 20 messages).

    python3 benchmarks/peers/jinja_python.py [--fixtures DIR] [--seconds 1.0] [--json]

Prints one row per template and conversation: mean microseconds per render (median of 5 timed batches), and the
SHA-256 prefix of the rendered text so outputs can be compared with the other implementations (--check in
Parley.Benchmarks prints the same column).
"""
import argparse
import hashlib
import json
import os
import sys
import time
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))


class AssistantTracker(Extension):
    """transformers' {% generation %} extension; when not tracking (the default) it renders the block as is."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    @jinja2.pass_eval_context
    def _generation_support(self, context, caller):
        return caller()


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' override: the builtin tojson escapes HTML characters, json.dumps does not.
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def fixtures_root(explicit):
    if explicit:
        return explicit
    if os.environ.get("PARLEY_FIXTURES"):
        return os.environ["PARLEY_FIXTURES"]
    # benchmarks/peers -> repository root -> ../shared/fixtures
    return os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "fixtures"))


def workloads(root):
    with open(os.path.join(HERE, "jinja-workloads.json"), encoding="utf-8") as f:
        spec = json.load(f)
    with open(os.path.join(root, "jinja", "e2e-cases.json"), encoding="utf-8") as f:
        cases = {c["name"]: c for c in json.load(f)}
    for template in spec["templates"]:
        case = cases[template["case"]]
        for count, messages in spec["conversations"].items():
            variables = dict(case["data"])
            variables["messages"] = messages
            yield template["label"], int(count), case["chat_template"], variables


def time_render_min(render, variables):
    """The fastest of 200 batches of about 1 ms (the figure least disturbed by other work on a shared machine)."""
    render(**variables)
    n, elapsed = 1, 0.0
    while elapsed < 0.001:
        n *= 2
        start = time.perf_counter()
        for _ in range(n):
            render(**variables)
        elapsed = time.perf_counter() - start
    best = float("inf")
    for _ in range(200):
        start = time.perf_counter()
        for _ in range(n):
            render(**variables)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def time_render(render, variables, seconds):
    render(**variables)
    # Calibrate a batch of about seconds/5, then time 5 batches and keep the median (robust to a shared machine).
    n, elapsed = 1, 0.0
    while elapsed < seconds / 5:
        n *= 2
        start = time.perf_counter()
        for _ in range(n):
            render(**variables)
        elapsed = time.perf_counter() - start
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            render(**variables)
        batches.append((time.perf_counter() - start) / n * 1e6)
    batches.sort()
    return batches[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", help="shared/fixtures folder (default: $PARLEY_FIXTURES or ../shared/fixtures)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent timing each row")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--min", action="store_true", help="the fastest of 200 batches of about 1 ms instead of the median of 5 (for a loaded machine)")
    args = parser.parse_args()
    root = fixtures_root(args.fixtures)
    compiled = {}
    if not args.json:
        print(f"Python {sys.version.split()[0]}, jinja2 {jinja2.__version__}")
        print(f"{'template':<24} {'messages':>8} {'us/render':>10}  sha256")
    for label, count, source, variables in workloads(root):
        template = compiled.get(label) or compiled.setdefault(label, compile_template(source))
        text = template.render(**variables)
        us = time_render_min(template.render, variables) if args.min else time_render(template.render, variables, args.seconds)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        if args.json:
            print(json.dumps({"peer": "jinja2", "template": label, "messages": count, "us": round(us, 3), "chars": len(text), "sha256": digest}))
        else:
            print(f"{label:<24} {count:>8} {us:>10.2f}  {digest}  ({len(text)} chars)")


if __name__ == "__main__":
    main()
