using System.Numerics;

namespace Parley.Labels;

/// <summary>What <see cref="MarkerMasker{T}"/> did with one row.</summary>
public enum MarkerOutcome
{
    /// <summary>Markers were found; the response tokens keep their labels.</summary>
    Masked,

    /// <summary>The response marker does not occur: every label is -100 (TRL warns and does the same).</summary>
    NoResponseMarker,

    /// <summary>An instruction marker is configured but does not occur: every label is -100 (TRL semantics).</summary>
    NoInstructionMarker,
}

/// <summary>
/// Labels from markers, with TRL <c>DataCollatorForCompletionOnlyLM</c> semantics, over token ids (for
/// pre-formatted data whose template is unknown). Searches use vectorised <c>MemoryExtensions</c>
/// <c>IndexOf</c>/<c>LastIndexOf</c>; nothing is allocated per row.
/// </summary>
/// <remarks>
/// <para>Without an instruction marker: every label up to and including the <b>last</b> occurrence of the response
/// marker is -100 (so in a multi-turn chat only the last answer is trained).</para>
/// <para>With an instruction marker: the k-th instruction occurrence is paired with the k-th response occurrence and
/// everything from the instruction's start to the end of its response marker is -100 (from the row start for the
/// first pair, and when the row starts with a response the first instruction is taken to be at 0); if instructions
/// outnumber responses, everything from the last instruction on is -100. Occurrences may overlap, as in TRL.</para>
/// <para>A row without the response marker (or, when one is configured, without the instruction marker) gets -100
/// everywhere; <see cref="Apply(ReadOnlySpan{T}, Span{T})"/> returns why, and <see cref="MarkerReport"/> counts such rows so they are reported,
/// never silently ignored.</para>
/// </remarks>
/// <example><code>
/// var masker = new MarkerMasker&lt;int&gt;(response: [32001], instruction: [32010]);
/// int[] ids = [32010, 15043, 13, 32001, 1128, 13, 32000];
/// var labels = new int[ids.Length];
/// MarkerOutcome outcome = masker.Apply(ids, labels);
/// // labels == [-100, -100, -100, -100, 1128, 13, 32000], outcome == MarkerOutcome.Masked
/// </code></example>
public sealed class MarkerMasker<T> where T : unmanaged, IBinaryInteger<T>
{
    private readonly T[] _response;
    private readonly T[]? _instruction;
    private static readonly T Ignore = T.CreateTruncating(LabelIds.Ignore);

    /// <summary>Creates a masker for the response marker ids and, for multi-turn data, the instruction marker ids.</summary>
    /// <exception cref="ArgumentException">The response marker is empty.</exception>
    public MarkerMasker(ReadOnlySpan<T> response, ReadOnlySpan<T> instruction = default)
    {
        if (response.IsEmpty)
        {
            throw new ArgumentException("The response marker needs at least one token id (e.g. the ids of \"<|assistant|>\").", nameof(response));
        }
        _response = response.ToArray();
        _instruction = instruction.IsEmpty ? null : instruction.ToArray();
    }

    /// <summary>The response marker ids.</summary>
    public ReadOnlySpan<T> Response => _response;

    /// <summary>The instruction marker ids (empty when none).</summary>
    public ReadOnlySpan<T> Instruction => _instruction;

    /// <summary>Writes the labels of one row (<paramref name="ids"/> with the non-response tokens set to -100).</summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is shorter than <paramref name="ids"/>.</exception>
    public MarkerOutcome Apply(ReadOnlySpan<T> ids, Span<T> labels)
    {
        if (labels.Length < ids.Length)
        {
            throw new ArgumentException($"labels holds {labels.Length} values; {ids.Length} are needed.", nameof(labels));
        }
        labels = labels[..ids.Length];
        ids.CopyTo(labels);
        return _instruction is null ? MaskLastResponse(ids, labels) : MaskTurns(ids, labels, _instruction);
    }

    /// <summary>Labels every row of a batch (labels have the rows' shape) and counts the outcomes into <paramref name="report"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is shorter than the ids.</exception>
    public void Apply(Collation.RaggedSpan<T> ids, Span<T> labels, MarkerReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (labels.Length < ids.TotalLength)
        {
            throw new ArgumentException($"labels holds {labels.Length} values; {ids.TotalLength} are needed.", nameof(labels));
        }
        if (_instruction is not null)
        {
            for (int r = 0; r < ids.Count; r++)
            {
                report.Record(Apply(ids[r], labels[ids.Offsets[r]..ids.Offsets[r + 1]]));
            }
            return;
        }
        // Response marker only: one copy of the whole batch, then per row a backwards search and a prefix fill.
        ids.Values[..ids.TotalLength].CopyTo(labels);
        ReadOnlySpan<int> offsets = ids.Offsets;
        for (int r = 0; r < ids.Count; r++)
        {
            int start = offsets[r];
            var row = ids.Values[start..offsets[r + 1]];
            report.Record(MaskLastResponse(row, labels.Slice(start, row.Length)));
        }
    }

    private MarkerOutcome MaskLastResponse(ReadOnlySpan<T> ids, Span<T> labels)
    {
        int at = _response.Length == 1 ? ids.LastIndexOf(_response[0]) : ids.LastIndexOf(_response);
        if (at < 0)
        {
            labels.Fill(Ignore);
            return MarkerOutcome.NoResponseMarker;
        }
        labels[..(at + _response.Length)].Fill(Ignore);
        return MarkerOutcome.Masked;
    }

    private MarkerOutcome MaskTurns(ReadOnlySpan<T> ids, Span<T> labels, ReadOnlySpan<T> instruction)
    {
        ReadOnlySpan<T> response = _response;
        int firstResponse = ids.IndexOf(response);
        if (firstResponse < 0)
        {
            labels.Fill(Ignore);
            return MarkerOutcome.NoResponseMarker;
        }
        int firstInstruction = ids.IndexOf(instruction);
        if (firstInstruction < 0)
        {
            labels.Fill(Ignore);
            return MarkerOutcome.NoInstructionMarker;
        }

        // Walk the k-th instruction start and the k-th response end in lockstep (TRL zips the two lists).
        bool virtualStart = firstInstruction > firstResponse + response.Length;
        int nextInstructionFrom = 0; // where to look for the next real instruction occurrence
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
                h = Find(ids, instruction, nextInstructionFrom);
                if (h < 0) break; // instructions <= responses: nothing left to mask
                nextInstructionFrom = h + 1;
            }
            int r = Find(ids, response, nextResponseFrom);
            if (r < 0)
            {
                // More instructions than responses: mask from the last instruction on.
                int last = ids.LastIndexOf(instruction);
                labels[Math.Max(last, 0)..].Fill(Ignore);
                break;
            }
            nextResponseFrom = r + 1;
            int end = r + response.Length;
            int start = k == 0 ? 0 : h;
            if (end > start) labels[start..end].Fill(Ignore);
        }
        return MarkerOutcome.Masked;
    }

    private static int Find(ReadOnlySpan<T> ids, ReadOnlySpan<T> marker, int from)
    {
        if (from > ids.Length) return -1;
        int at = ids[from..].IndexOf(marker);
        return at < 0 ? -1 : from + at;
    }
}

/// <summary>Counts what <see cref="MarkerMasker{T}"/> did over many rows, so rows left without labels are reported.</summary>
/// <example><code>
/// var report = new MarkerReport();
/// masker.Apply(batchIds, labels, report);
/// if (report.RowsWithoutMarker &gt; 0) Console.WriteLine(report);
/// </code></example>
public sealed class MarkerReport
{
    /// <summary>Rows seen.</summary>
    public long Rows { get; private set; }

    /// <summary>Rows without the response marker (all labels -100).</summary>
    public long RowsWithoutResponse { get; private set; }

    /// <summary>Rows without the configured instruction marker (all labels -100).</summary>
    public long RowsWithoutInstruction { get; private set; }

    /// <summary>Rows that train nothing because a marker is missing.</summary>
    public long RowsWithoutMarker => RowsWithoutResponse + RowsWithoutInstruction;

    /// <summary>Index (in recording order) of the first row without a marker, or -1.</summary>
    public long FirstRowWithoutMarker { get; private set; } = -1;

    /// <summary>Counts one row's outcome.</summary>
    public void Record(MarkerOutcome outcome)
    {
        if (outcome != MarkerOutcome.Masked && FirstRowWithoutMarker < 0) FirstRowWithoutMarker = Rows;
        if (outcome == MarkerOutcome.NoResponseMarker) RowsWithoutResponse++;
        else if (outcome == MarkerOutcome.NoInstructionMarker) RowsWithoutInstruction++;
        Rows++;
    }

    /// <inheritdoc/>
    public override string ToString() => RowsWithoutMarker == 0
        ? $"{Rows} rows, every row has its markers."
        : $"{RowsWithoutMarker} of {Rows} rows train nothing ({RowsWithoutResponse} without the response marker, {RowsWithoutInstruction} without the instruction marker; first at row {FirstRowWithoutMarker}). Check that the marker ids are the ids the marker gets in context, or register the marker as a special token.";
}
