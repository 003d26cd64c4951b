using System.Numerics;

namespace Parley.Labels;

/// <summary>
/// Labels from a completion mask (TRL's <c>completion_mask</c> for prompt/completion data): the id where the mask is
/// non-zero, -100 where it is zero.
/// </summary>
/// <example><code>
/// var labels = new int[3];
/// CompletionMask.Apply&lt;int&gt;([1, 2, 3], [0, 1, 1], labels);   // labels == [-100, 2, 3]
/// </code></example>
public static class CompletionMask
{
    /// <summary>Writes one label per token; returns how many tokens are trained.</summary>
    /// <exception cref="ArgumentException">The mask or the destination does not have one value per token.</exception>
    public static int Apply<T, TMask>(ReadOnlySpan<T> ids, ReadOnlySpan<TMask> mask, Span<T> labels)
        where T : unmanaged, IBinaryInteger<T>
        where TMask : unmanaged, IBinaryInteger<TMask>
    {
        if (mask.Length != ids.Length)
        {
            throw new ArgumentException($"The completion mask needs one value per token: {ids.Length} ids but {mask.Length} mask values.", nameof(mask));
        }
        if (labels.Length < ids.Length)
        {
            throw new ArgumentException($"labels holds {labels.Length} values; {ids.Length} are needed.", nameof(labels));
        }
        T ignore = T.CreateTruncating(LabelIds.Ignore);
        int trained = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            bool train = !TMask.IsZero(mask[i]);
            labels[i] = train ? ids[i] : ignore;
            if (train) trained++;
        }
        return trained;
    }
}
