using Parley.Buffers;
using System.Numerics;

namespace Parley.Labels;

/// <summary>
/// Labels from markers, with TRL <c>DataCollatorForCompletionOnlyLM</c> semantics, over token ids (for
/// pre-formatted data whose template is unknown). Searches use vectorised <c>MemoryExtensions</c>
/// <c>IndexOf</c>/<c>LastIndexOf</c>; nothing is allocated per row.
/// </summary>
/// <remarks>
/// The semantics are <see cref="CompletionOnlyMasking"/>'s (last response wins without an instruction marker;
/// instruction/response pairs with one). A row without a marker gets -100 everywhere;
/// <see cref="Apply(ReadOnlySpan{T}, Span{T})"/> returns why, and <see cref="MarkerReport"/> counts such rows so they
/// are reported, never silently ignored. When the template declares its marker ids, the generator emits a
/// specialised masker (<c>MyTemplate.MarkerMask</c>) with the same semantics.
/// </remarks>
/// <example><code>
/// var masker = new MarkerMasker&lt;int&gt;(response: [32001], instruction: [32010]);
/// int[] ids = [32010, 15043, 13, 32001, 1128, 13, 32000];
/// var labels = new int[ids.Length];
/// MarkerOutcome outcome = masker.Apply(ids, labels);
/// // labels == [-100, -100, -100, -100, 1128, 13, 32000], outcome == MarkerOutcome.Masked
/// </code></example>
public sealed class MarkerMasker<T> : IMarkerMasker<T> where T : unmanaged, IBinaryInteger<T>
{
    private readonly T[] _response;
    private readonly T[]? _instruction;

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
    public MarkerOutcome Apply(ReadOnlySpan<T> ids, Span<T> labels) =>
        CompletionOnlyMasking.Apply(ids, labels, new ArraySearch(_response, _instruction));

    /// <summary>Labels every row of a batch (labels have the rows' shape) and counts the outcomes into <paramref name="report"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is shorter than the ids.</exception>
    public void Apply(Buffers.RaggedSpan<T> ids, Span<T> labels, MarkerReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (labels.Length < ids.TotalLength)
        {
            throw new ArgumentException($"labels holds {labels.Length} values; {ids.TotalLength} are needed.", nameof(labels));
        }
        var search = new ArraySearch(_response, _instruction);
        if (_instruction is not null)
        {
            for (int r = 0; r < ids.Count; r++)
            {
                report.Record(CompletionOnlyMasking.Apply(ids[r], labels[ids.Offsets[r]..ids.Offsets[r + 1]], search));
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
            report.Record(CompletionOnlyMasking.MaskBeforeLastResponse(row, labels.Slice(start, row.Length), search));
        }
    }

    // Searches over the marker arrays given at run time; MemoryExtensions vectorises the first-id scan.
    private readonly struct ArraySearch(T[] response, T[]? instruction) : IMarkerSearch<T>
    {
        public int ResponseLength => response.Length;

        public int InstructionLength => instruction?.Length ?? 0;

        public int IndexOfResponse(ReadOnlySpan<T> ids, int from) => Find(ids, response, from);

        public int LastIndexOfResponse(ReadOnlySpan<T> ids) => response.Length == 1 ? ids.LastIndexOf(response[0]) : ids.LastIndexOf(response);

        public int IndexOfInstruction(ReadOnlySpan<T> ids, int from) => Find(ids, instruction, from);

        public int LastIndexOfInstruction(ReadOnlySpan<T> ids) => ids.LastIndexOf(instruction);

        private static int Find(ReadOnlySpan<T> ids, ReadOnlySpan<T> marker, int from)
        {
            if (from > ids.Length) return -1;
            int at = ids[from..].IndexOf(marker);
            return at < 0 ? -1 : from + at;
        }
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
