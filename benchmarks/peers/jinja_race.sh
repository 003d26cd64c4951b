#!/usr/bin/env bash
# One run of the Jinja comparison on the workloads of jinja-workloads.json: Python jinja2, @huggingface/jinja, then
# Parley's BenchmarkDotNet classes (JinjaFormatBenchmarks, JinjaRenderBenchmarks), one after the other on the same
# machine; then the table of RESULTS.md (jinja_table.py). Usage: benchmarks/peers/jinja_race.sh [OUTPUT_DIR]
set -euo pipefail
out=$(mkdir -p "${1:-/tmp/jinja-race}" && cd "${1:-/tmp/jinja-race}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
[ -d node_modules ] || npm install --silent
echo "python jinja2 ..." >&2
python3 jinja_python.py --json > "$out/python.jsonl"
echo "@huggingface/jinja ..." >&2
node jinja_node.mjs --json > "$out/node.jsonl"
cd "$root"
echo "Parley (BenchmarkDotNet) ..." >&2
dotnet build -c Release benchmarks/Parley.Benchmarks -v q -nologo > "$out/build.log"
dotnet run -c Release --no-build --project benchmarks/Parley.Benchmarks -- \
  --filter '*JinjaFormatBenchmarks*' '*JinjaRenderBenchmarks*' --job short --iterationCount 10 --inProcess \
  --artifacts "$out/bdn" > "$out/bdn.log" 2>&1
python3 "$here/jinja_table.py" "$out"
