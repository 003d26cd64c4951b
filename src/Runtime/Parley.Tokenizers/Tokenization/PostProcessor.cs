namespace Parley.Tokenization;

/// <summary>
/// The ids a tokenizer puts around a single sequence when special tokens are added (HF <c>post_processor</c>
/// for one sequence: Phi-3's <c>&lt;s&gt;</c> prefix, OPT's <c>&lt;/s&gt;</c> prefix, BERT's <c>[CLS]</c>/<c>[SEP]</c>).
/// </summary>
/// <param name="Prefix">Ids before the text.</param>
/// <param name="Suffix">Ids after the text.</param>
internal sealed record PostProcessor(int[] Prefix, int[] Suffix)
{
    public static readonly PostProcessor None = new([], []);
}
