namespace Parley.Tokenization;

public sealed partial class ParleyTokenizer
{
    /// <summary>
    /// Encodes many texts to ids on every core: texts are handed out in chunks to one worker per core (a shared
    /// tokenizer: encoding is thread-safe and the word cache is shared), and result <c>i</c> belongs to text <c>i</c>.
    /// </summary>
    /// <param name="texts">The texts; none may be null.</param>
    /// <param name="addSpecialTokens">Whether to add the post-processor's tokens (as <see cref="EncodeToIds(ReadOnlySpan{char}, bool, bool)"/>).</param>
    /// <param name="parseSpecialTokens">Whether control tokens in the texts become their ids.</param>
    /// <param name="maxDegreeOfParallelism">Workers to use; -1 (the default) uses every core.</param>
    /// <example><code>
    /// int[][] ids = tok.EncodeBatchToIds(rows, addSpecialTokens: false);
    /// </code></example>
    public int[][] EncodeBatchToIds(IReadOnlyList<string> texts, bool addSpecialTokens = true, bool parseSpecialTokens = true, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new int[texts.Count][];
        if (texts.Count == 0) return result;
        int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        // Chunks of consecutive texts keep each worker's cache lines and list reuse local; 64 balances short rows.
        var chunks = System.Collections.Concurrent.Partitioner.Create(0, texts.Count, Math.Max(1, Math.Min(64, texts.Count / (workers * 4) + 1)));
        Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, () => new List<int>(1024), (range, _, buffer) =>
        {
            for (int i = range.Item1; i < range.Item2; i++)
            {
                string text = texts[i] ?? throw new ArgumentException($"texts[{i}] is null.", nameof(texts));
                buffer.Clear();
                EncodeToIds(text, buffer, addSpecialTokens, parseSpecialTokens);
                result[i] = buffer.ToArray();
            }
            return buffer;
        }, _ => { });
        return result;
    }
}
