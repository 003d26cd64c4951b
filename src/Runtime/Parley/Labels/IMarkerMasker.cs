#if NET
using System.Numerics;

namespace Parley.Labels;

/// <summary>
/// Writes completion-only labels for one row of token ids (TRL <c>DataCollatorForCompletionOnlyLM</c> semantics).
/// Implemented by the run-time <c>MarkerMasker&lt;T&gt;</c> and by the <c>MarkerMask</c> class the generator emits for
/// a template whose markers declare their token ids.
/// </summary>
/// <typeparam name="T">The id type (<see cref="int"/> or <see cref="long"/>).</typeparam>
/// <example><code>
/// IMarkerMasker&lt;long&gt; masker = Phi3.MarkerMask.Instance;
/// MarkerOutcome outcome = masker.Apply(ids, labels);
/// </code></example>
public interface IMarkerMasker<T> where T : unmanaged, IBinaryInteger<T>
{
    /// <summary>Copies <paramref name="ids"/> into <paramref name="labels"/> and sets every non-response label to -100.</summary>
    /// <exception cref="System.ArgumentException"><paramref name="labels"/> is shorter than <paramref name="ids"/>.</exception>
    MarkerOutcome Apply(ReadOnlySpan<T> ids, Span<T> labels);
}
#endif
