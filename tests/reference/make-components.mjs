// Writes small tokenizer.json files that exercise the HF components the eleven real files don't use (WordPiece,
// Unigram, BPE subword affixes, every Split behavior, Bert/Strip/StripAccents/Lowercase/Replace-regex
// normalizers, Digits/Punctuation/Whitespace/CharDelimiterSplit pre-tokenizers, WordPiece/BPE/CTC decoders) into
// tests/reference/components/, and what transformers.js gives for a few texts into components/expected.json.
//   node make-components.mjs <tokenizer cache> <tests/reference folder>
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [cache, here] = process.argv.slice(2);
const { PreTrainedTokenizer } = createRequire(path.join(cache, ".node", "node_modules", "/"))("@huggingface/transformers");
const out = path.join(here, "components");
fs.mkdirSync(out, { recursive: true });

const letters = "abcdefghijklmnopqrstuvwxyz".split("");
const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"];
const words = ["hello", "world", "play", "un", "the", "token", "izer", "caf", "naive", "fox", "jump", "over", "lazy", "dog", "123", "12", "1", "2", "3", "4", "5", "中", "文"];
const cont = ["##ing", "##ed", "##s", "##aff", "##able", "##izer", "##e", "##er", "##3", "##4"];
const punct = [".", ",", "!", "?", "'", "-", "(", ")", "$", ":", "/"];
const wpTokens = [...specials, ...letters, ...letters.map((l) => "##" + l), ...words, ...cont, ...punct];
const vocabObject = (tokens) => Object.fromEntries(tokens.map((t, i) => [t, i]));
const added = (tokens) => tokens.map((t, i) => ({ id: i, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));

const bertish = (normalizer, pre) => ({
  version: "1.0", truncation: null, padding: null, added_tokens: added(specials),
  normalizer, pre_tokenizer: pre,
  post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab: vocabObject(wpTokens) },
});

// Unigram: letters and pieces with scores, ▁-prefixed words.
const uniPieces = [["<unk>", 0], ["<s>", 0], ["</s>", 0], ["\u2581", -2], ...letters.map((l) => [l, -5]), ...letters.map((l) => ["\u2581" + l, -5.5]),
  ["\u2581hello", -3], ["\u2581world", -3], ["hell", -4], ["o", -4.5], ["\u2581the", -2.5], ["\u2581th", -4], ["e", -4.2], ["\u2581fox", -3.5],
  ["\u2581jump", -3.6], ["ing", -3.2], ["\u2581lazy", -3.9], ["\u2581dog", -3.1], ["\u2581un", -3.3], ["aff", -4.4], ["able", -3.7],
  ["<0xC3>", -9], ["<0xA9>", -9], ["<0xE2>", -9], ["<0x82>", -9], ["<0xAC>", -9], ["1", -6], ["2", -6]];
const unigram = (byteFallback) => ({
  version: "1.0", added_tokens: added(["<unk>", "<s>", "</s>"]),
  normalizer: { type: "Sequence", normalizers: [{ type: "Replace", pattern: { Regex: " {2,}" }, content: " " }, { type: "Lowercase" }] },
  pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", add_prefix_space: true, split: true },
  post_processor: { type: "TemplateProcessing", single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
    pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }], special_tokens: { "</s>": { id: "</s>", ids: [2], tokens: ["</s>"] } } },
  decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", add_prefix_space: true, split: true },
  model: { type: "Unigram", unk_id: 0, vocab: uniPieces, byte_fallback: byteFallback },
});

// Char-level BPE with a continuing-subword prefix and an end-of-word suffix (BERT-style BPE, CLIP-style suffix).
const bpeAffix = () => {
  const vocab = ["<unk>", ...letters, ...letters.map((l) => "##" + l), ...letters.map((l) => l + "</w>"), ...letters.map((l) => "##" + l + "</w>")];
  const merges = [["h", "##e"], ["he", "##l"], ["hel", "##l"], ["##l", "##o</w>"], ["hell", "##o</w>"], ["w", "##o"], ["wo", "##r"], ["wor", "##l"], ["worl", "##d</w>"], ["##o", "##g</w>"]];
  for (const [a, b] of merges) { const t = a + b.slice(2); if (!vocab.includes(t)) vocab.push(t); }
  return {
    version: "1.0", added_tokens: added(["<unk>"]), normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" }, post_processor: null,
    decoder: { type: "BPEDecoder", suffix: "</w>" },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: "##", end_of_word_suffix: "</w>", fuse_unk: false, byte_fallback: false,
      vocab: vocabObject(vocab), merges },
  };
};

// (transformers.js reads Metaspace's add_prefix_space, HF's Rust its prepend_scheme: the Unigram case sets both.)
// transformers.js has no WordLevel model, so the pre-tokenizer cases run through WordPiece. Its Split treats
// MergedWithPrevious/MergedWithNext/Contiguous as Isolated and invert as "matches only", and its BPE ignores
// continuing_subword_prefix, and its \\w is ASCII-only (Whitespace): those follow HF's Rust semantics and are pinned by hand in the C# tests instead.
const wordLevel = (pre) => ({
  version: "1.0", added_tokens: added(["[UNK]"]),
  normalizer: { type: "Sequence", normalizers: [{ type: "Strip", strip_left: true, strip_right: true }, { type: "NFD" }, { type: "StripAccents" }] },
  pre_tokenizer: pre, post_processor: null, decoder: null,
  model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100,
    vocab: vocabObject(["[UNK]", ...words, ...punct, " ", "  ", "hello world", "cafe", "naive", ...letters, ...letters.map((l) => "##" + l), "##-", "## ", "1", "2", "3"]) },
});

const tokenizers = {
  "wordpiece-bert": bertish({ type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true }, { type: "BertPreTokenizer" }),
  "wordpiece-cased-punct-digits": bertish({ type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] },
    { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, { type: "Punctuation", behavior: "Isolated" }, { type: "Digits", individual_digits: true }] }),
  "unigram": unigram(false),
  "split-removed": wordLevel({ type: "Split", pattern: { Regex: "[,.!?]" }, behavior: "Removed", invert: false }),
  "split-digits-contiguous": wordLevel({ type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, { type: "Digits", individual_digits: false }] }),
};

const texts = ["Hello world!", "hello, world. The lazy dog", "unaffable jumping fox", "Café naïve  déjà", "  the   fox  ", "12345 and 1-2-3 over-the-dog",
  "中文 hello中文", "hello-world 42!", "Ünaffable JUMPING", "x\u00a0y\tz\nq", "€ © hello", "playing played plays", ""];
const expected = {};
for (const [name, json] of Object.entries(tokenizers)) {
  fs.writeFileSync(path.join(out, name + ".json"), JSON.stringify(json, null, 1) + "\n");
  const tok = new PreTrainedTokenizer(json, {});
  expected[name] = texts.map((text) => {
    const ids = tok.encode(text, { add_special_tokens: false });
    if (ids.some((x) => !Number.isInteger(x))) throw new Error(`${name}: ${JSON.stringify(text)} gives ${JSON.stringify(ids)}`);
    return { ids, with_special: tok.encode(text), decoded: ids.length === 0 ? "" : tok.decode(ids, { clean_up_tokenization_spaces: false }) };
  });
}
fs.writeFileSync(path.join(out, "expected.json"),
  JSON.stringify({ generated_by: "@huggingface/transformers 3.7.2 (tests/reference/make-components.mjs)", texts, expected }, null, 0) + "\n");
console.log(Object.keys(tokenizers).length, "tokenizers,", texts.length, "texts");
