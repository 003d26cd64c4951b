#!/usr/bin/env python3
"""The Jinja table of RESULTS.md from one run of jinja_race.sh: peer figures (python.jsonl, node.jsonl) and Parley's
BenchmarkDotNet reports (bdn/results/*-report.csv) side by side, with the ratios and their medians.

    python3 benchmarks/peers/jinja_table.py OUTPUT_DIR
"""
import csv
import glob
import json
import os
import statistics
import sys


def peer(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows[(r["template"], int(r["messages"]))] = r["us"]
    return rows


def label(name, known):
    """BenchmarkDotNet shortens long parameter values ('Gemma(...)emma) [23]'): the workload label it stands for."""
    if "(...)" not in name:
        return name
    head, tail = name.split("(...)")
    tail = tail.rsplit(" [", 1)[0]
    matches = [k for k in known if k.startswith(head) and k.endswith(tail)]
    return matches[0] if len(matches) == 1 else name


def micros(text):
    value, unit = text.replace(",", "").split()
    unit = unit.replace("\u03bc", "u").replace("\u00b5", "u")
    return float(value) * {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[unit]


def parley(out, known):
    rows = {}
    for path in glob.glob(os.path.join(out, "bdn", "results", "*-report.csv")):
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                key = (label(r["Template"], known), int(r["Messages"]), r["Method"].strip("'"))
                rows[key] = (micros(r["Mean"]), r.get("Allocated", ""))
    return rows


def ratio(r):
    return "" if r is None else f"{r:.1f}×" if r < 10 else f"{r:.0f}×"


def fmt(us):
    return f"{us * 1000:.0f} ns" if us < 1 else f"{us:.2f} µs"


def main(out):
    py, js = peer(os.path.join(out, "python.jsonl")), peer(os.path.join(out, "node.jsonl"))
    net = parley(out, {k[0] for k in py})
    methods = sorted({k[2] for k in net})
    for method in methods:
        keys = sorted((k for k in net if k[2] == method), key=lambda k: (k[0], k[1]))
        print(f"\n| {method} | msgs | jinja2 | @huggingface/jinja | Parley | allocated | vs jinja2 | vs HF.js |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        vs_py, vs_js = [], []
        for key in keys:
            us, allocated = net[key]
            p, j = py.get(key[:2]), js.get(key[:2])
            rp, rj = (p / us if p else None), (j / us if j else None)
            if rp: vs_py.append(rp)
            if rj: vs_js.append(rj)
            print(f"| {key[0]} | {key[1]} | {fmt(p) if p else ''} | {fmt(j) if j else ''} | {fmt(us)} | {allocated} | "
                  f"{ratio(rp)} | {ratio(rj)} |")
        if vs_py:
            print(f"| **median** ({len(vs_py)} rows) | | | | | | **{ratio(statistics.median(vs_py))}** | **{ratio(statistics.median(vs_js))}** |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/jinja-race")
