namespace Parley.Templates;

/// <summary>
/// The seed's own prompt/completion format for the Yoda dataset, <c>{prompt} ##[YODA]##&gt; {completion}{eos}</c>, with
/// OPT's special tokens and the special response token <c>##[YODA]##&gt;</c>; compiled by the generator. The CLI's
/// <c>parley train</c> calls it <c>yoda</c>.
/// </summary>
/// <example><code>string text = YodaPromptCompletion.Format("The Force is strong in you.", "Strong in you, the Force is."); // "... ##[YODA]##&gt; Strong in you, the Force is.&lt;/s&gt;"</code></example>
[PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Bos = "<s>", Eos = "</s>", Pad = "<pad>", Unk = "<unk>")]
[SpecialToken("##[YODA]##>"), ResponseMarker("##[YODA]##>")]
public static partial class YodaPromptCompletion;
