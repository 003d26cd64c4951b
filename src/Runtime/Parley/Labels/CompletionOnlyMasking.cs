#if NET
using System.Numerics;

namespace Parley.Labels;

/// <summary>
/// TRL <c>DataCollatorForCompletionOnlyLM</c> masking over one row, shared by the run-time masker and the generated
/// ones. Generic over the marker search so each caller gets its own specialised, allocation-free loop.
/// </summary>
/// <remarks>
/// <para>Without an instruction marker: every label up to and including the <b>last</b> occurrence of the response
/// marker is -100 (so in a multi-turn chat only the last answer is trained).</para>
/// <para>With an instruction marker: the k-th instruction occurrence is paired with the k-th response occurrence and
/// everything from the instruction's start to the end of its response marker is -100 (from the row start for the
/// first pair, and when the row starts with a response the first instruction is taken to be at 0); if instructions
/// outnumber responses, everything from the last instruction on is -100. Occurrences may overlap, as in TRL.</para>
/// <para>A row without the response marker (or, when one is configured, without the instruction marker) gets -100
/// everywhere and the outcome says why.</para>
/// </remarks>
/// <example><code>
/// MarkerOutcome outcome = CompletionOnlyMasking.Apply(ids, labels, search);
/// </code></example>
public static class CompletionOnlyMasking
{
    /// <summary>Copies <paramref name="ids"/> into <paramref name="labels"/> and masks everything that is not a response.</summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is shorter than <paramref name="ids"/>.</exception>
    public static MarkerOutcome Apply<T, TSearch>(ReadOnlySpan<T> ids, Span<T> labels, TSearch search)
        where T : unmanaged, IBinaryInteger<T>
        where TSearch : struct, IMarkerSearch<T>
    {
        if (labels.Length < ids.Length)
        {
            throw new ArgumentException($"labels holds {labels.Length} values; {ids.Length} are needed.", nameof(labels));
        }
        labels = labels[..ids.Length];
        ids.CopyTo(labels);
        return search.InstructionLength == 0 ? MaskBeforeLastResponse(ids, labels, search) : MaskTurns(ids, labels, search);
    }

    /// <summary>
    /// Masks, in labels that already hold the ids, everything up to the end of the last response marker (the
    /// response-only case, for callers that copied a whole batch at once).
    /// </summary>
    public static MarkerOutcome MaskBeforeLastResponse<T, TSearch>(ReadOnlySpan<T> ids, Span<T> labels, TSearch search)
        where T : unmanaged, IBinaryInteger<T>
        where TSearch : struct, IMarkerSearch<T>
    {
        int at = search.LastIndexOfResponse(ids);
        if (at < 0)
        {
            labels.Fill(Ignore<T>());
            return MarkerOutcome.NoResponseMarker;
        }
        labels[..(at + search.ResponseLength)].Fill(Ignore<T>());
        return MarkerOutcome.Masked;
    }

    private static MarkerOutcome MaskTurns<T, TSearch>(ReadOnlySpan<T> ids, Span<T> labels, TSearch search)
        where T : unmanaged, IBinaryInteger<T>
        where TSearch : struct, IMarkerSearch<T>
    {
        T ignore = Ignore<T>();
        int firstResponse = search.IndexOfResponse(ids, 0);
        if (firstResponse < 0)
        {
            labels.Fill(ignore);
            return MarkerOutcome.NoResponseMarker;
        }
        int firstInstruction = search.IndexOfInstruction(ids, 0);
        if (firstInstruction < 0)
        {
            labels.Fill(ignore);
            return MarkerOutcome.NoInstructionMarker;
        }

        // Walk the k-th instruction start and the k-th response end in lockstep (TRL zips the two lists).
        bool virtualStart = firstInstruction > firstResponse + search.ResponseLength;
        int nextInstructionFrom = 0;
        int nextResponseFrom = 0;
        for (int k = 0; ; k++)
        {
            int h;
            if (virtualStart && k == 0)
            {
                h = 0;
            }
            else
            {
                h = search.IndexOfInstruction(ids, nextInstructionFrom);
                if (h < 0) break; // instructions <= responses: nothing left to mask
                nextInstructionFrom = h + 1;
            }
            int r = search.IndexOfResponse(ids, nextResponseFrom);
            if (r < 0)
            {
                // More instructions than responses: mask from the last instruction on.
                int last = search.LastIndexOfInstruction(ids);
                labels[Math.Max(last, 0)..].Fill(ignore);
                break;
            }
            nextResponseFrom = r + 1;
            int end = r + search.ResponseLength;
            int start = k == 0 ? 0 : h;
            if (end > start) labels[start..end].Fill(ignore);
        }
        return MarkerOutcome.Masked;
    }

    // -100, the label cross-entropy ignores (PyTorch's ignore_index).
    private static T Ignore<T>() where T : unmanaged, IBinaryInteger<T> => T.CreateTruncating(-100);
}
#endif
