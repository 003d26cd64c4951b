#!/usr/bin/env node
// Peer benchmark: @huggingface/jinja (what transformers.js runs for apply_chat_template) rendering the same
// templates and conversations as jinja_python.py and Parley.Benchmarks' JinjaTemplateBenchmarks.
//
//   cd benchmarks/peers && npm install      # @huggingface/jinja, pinned in package.json
//   node benchmarks/peers/jinja_node.mjs [--fixtures DIR] [--seconds 1.0] [--json]
//
// Each template is parsed once (new Template); only render() is timed. raise_exception, strftime_now, tojson and
// {% generation %} are the library's own. Rows: mean microseconds per render (median of 5 timed batches) and the
// SHA-256 prefix of the rendered text.
import { Template } from "@huggingface/jinja";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const asJson = args.includes("--json");
const seconds = Number(option("--seconds", "1.0"));
const root = option("--fixtures", process.env.PARLEY_FIXTURES || resolve(here, "..", "..", "..", "shared", "fixtures"));

const spec = JSON.parse(readFileSync(join(here, "jinja-workloads.json"), "utf8"));
const cases = new Map(JSON.parse(readFileSync(join(root, "jinja", "e2e-cases.json"), "utf8")).map((c) => [c.name, c]));

function timeRender(template, variables) {
  template.render(variables);
  // Calibrate a batch of about seconds/5, then time 5 batches and keep the median (robust to a shared machine).
  let n = 1;
  let elapsed = 0;
  while (elapsed < seconds / 5) {
    n *= 2;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) template.render(variables);
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const batches = [];
  for (let b = 0; b < 5; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) template.render(variables);
    batches.push(Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
  batches.sort((x, y) => x - y);
  return batches[2];
}

const version = JSON.parse(readFileSync(join(here, "node_modules", "@huggingface", "jinja", "package.json"), "utf8")).version;
if (!asJson) {
  console.log(`node ${process.version}, @huggingface/jinja ${version}`);
  console.log(`${"template".padEnd(24)} ${"messages".padStart(8)} ${"us/render".padStart(10)}  sha256`);
}

for (const { label, case: name } of spec.templates) {
  const c = cases.get(name);
  const template = new Template(c.chat_template);
  for (const [count, messages] of Object.entries(spec.conversations)) {
    const variables = { ...c.data, messages };
    let text;
    try {
      text = template.render(variables);
    } catch (e) {
      console.log(`${label.padEnd(24)} ${count.padStart(8)} ${"error".padStart(10)}  ${e.message}`);
      continue;
    }
    const us = timeRender(template, variables);
    const digest = createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);
    if (asJson) {
      console.log(JSON.stringify({ peer: "@huggingface/jinja", template: label, messages: Number(count), us: Math.round(us * 1000) / 1000, chars: text.length, sha256: digest }));
    } else {
      console.log(`${label.padEnd(24)} ${count.padStart(8)} ${us.toFixed(2).padStart(10)}  ${digest}  (${text.length} chars)`);
    }
  }
}
