using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// Greedy (argmax) decoding, as llama2.c's <c>run.c</c> does at temperature 0: each step feeds the whole sequence
/// so far and appends the most likely next token (the first on ties).
/// </summary>
/// <example>
/// <code>
/// int[] ids = GreedyGenerator.Generate(model, prompt: [1], maxNewTokens: 200);
/// </code>
/// </example>
public static class GreedyGenerator
{
    /// <summary>Generates up to <paramref name="maxNewTokens"/> tokens after <paramref name="prompt"/>.</summary>
    /// <param name="model">The model (its parameters' device is used).</param>
    /// <param name="prompt">At least one token id (e.g. BOS).</param>
    /// <param name="maxNewTokens">How many tokens to add.</param>
    /// <param name="stopTokens">Generation ends after producing one of these (it is included); none by default.</param>
    /// <returns>The prompt followed by the generated ids.</returns>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public static int[] Generate(CausalLanguageModel model, IReadOnlyList<int> prompt, int maxNewTokens, IReadOnlySet<int>? stopTokens = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Count == 0)
        {
            throw new ArgumentException("the prompt needs at least one token (for example BOS).", nameof(prompt));
        }
        var device = model.parameters().First().device;
        var ids = prompt.Select(i => (long)i).ToList();
        using var noGrad = no_grad();
        for (var step = 0; step < maxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var input = tensor(ids.ToArray(), [1, ids.Count], device: device);
            var logits = model.call(input, null, null);
            var next = logits[0, -1].argmax().item<long>();
            ids.Add(next);
            if (stopTokens?.Contains((int)next) == true)
            {
                break;
            }
        }
        return ids.Select(i => (int)i).ToArray();
    }
}
