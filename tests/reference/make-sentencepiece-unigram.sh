#!/usr/bin/env bash
# Trains a small SentencePiece unigram model (nmt_nfkc normalization, byte fallback) on the fixtures' Yoda sentences
# with the SentencePiece library's own CLI (Debian package `sentencepiece`), and writes what spm_encode gives for each
# one-line text of tokenizer-corpus.json: tests/reference/sentencepiece/unigram.{model,ids.json}.
#   apt-get install -y sentencepiece && tests/reference/make-sentencepiece-unigram.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="${PARLEY_FIXTURES:-$here/../../../shared/fixtures}"
out="$here/sentencepiece"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
python3 -c "import csv,sys; [print(c) for r in csv.reader(open(sys.argv[1])) for c in r if c.strip()]" "$fixtures/data/yoda_sentences.csv" > "$work/train.txt"
spm_train --input="$work/train.txt" --model_prefix="$work/unigram" --model_type=unigram --vocab_size=700 \
  --byte_fallback=true --character_coverage=0.9995 --seed_sentencepiece_size=20000 --num_threads=1 --minloglevel=2 >/dev/null
cp "$work/unigram.model" "$out/unigram.model"
python3 - "$here/tokenizer-corpus.json" "$work/texts.txt" <<'PY'
import json, sys
texts = [t for t in json.load(open(sys.argv[1]))["texts"] if "\n" not in t and "\r" not in t and "\x85" not in t and "\u2028" not in t and "\u2029" not in t]
open(sys.argv[2], "w", encoding="utf-8").write("".join(t + "\n" for t in texts))
PY
spm_encode --model="$out/unigram.model" --output_format=id < "$work/texts.txt" > "$work/ids.txt"
python3 - "$work/texts.txt" "$work/ids.txt" "$out/unigram.ids.json" <<'PY'
import json, sys
texts = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
ids = [[int(x) for x in line.split()] for line in open(sys.argv[2]).read().split("\n")[:-1]]
assert len(texts) == len(ids), (len(texts), len(ids))
json.dump({"generated_by": "spm_train/spm_encode (Debian sentencepiece) via tests/reference/make-sentencepiece-unigram.sh",
           "cases": [{"text": t, "ids": i} for t, i in zip(texts, ids)]}, open(sys.argv[3], "w"), ensure_ascii=True)
print(len(texts), "texts")
PY
