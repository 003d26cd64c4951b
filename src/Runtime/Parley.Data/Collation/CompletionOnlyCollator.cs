using Parley.Buffers;
using System.Numerics;
using Parley.Labels;

namespace Parley.Collation;

/// <summary>
/// TRL's <c>DataCollatorForCompletionOnlyLM</c> as one step: collates with language-modelling labels (padded, or
/// padding-free when built with a <see cref="FlatteningCollator"/>), then masks each sequence's labels in place
/// with a marker masker (<see cref="MarkerMasker{T}"/>, or the <c>MarkerMask</c> the generator emits for a template
/// that declares its marker ids), so only the responses are trained. Nothing is allocated per batch.
/// </summary>
/// <example><code>
/// var collator = new CompletionOnlyCollator(new PaddingCollator(new PaddingOptions { PadTokenId = 32000 }), new MarkerMasker&lt;long&gt;([32001]));
/// using var batch = new Batch();
/// var report = new MarkerReport();
/// collator.Collate(ids.AsSpan(), batch, report);
/// if (report.RowsWithoutMarker &gt; 0) Console.Error.WriteLine(report);
/// </code></example>
public sealed class CompletionOnlyCollator
{
    private readonly PaddingCollator? _padding;
    private readonly FlatteningCollator? _flattening;
    private readonly IMarkerMasker<long> _masker;

    /// <summary>Padded batches.</summary>
    public CompletionOnlyCollator(PaddingCollator padding, IMarkerMasker<long> masker)
    {
        _padding = padding ?? throw new ArgumentNullException(nameof(padding));
        _masker = masker ?? throw new ArgumentNullException(nameof(masker));
    }

    /// <summary>Padding-free batches (TRL <c>padding_free=True</c>).</summary>
    public CompletionOnlyCollator(FlatteningCollator flattening, IMarkerMasker<long> masker)
    {
        _flattening = flattening ?? throw new ArgumentNullException(nameof(flattening));
        _masker = masker ?? throw new ArgumentNullException(nameof(masker));
    }

    /// <summary>Collates <paramref name="inputIds"/> into <paramref name="batch"/> and counts rows without markers into <paramref name="report"/>.</summary>
    public void Collate<T>(RaggedSpan<T> inputIds, Batch batch, MarkerReport report) where T : unmanaged, IBinaryInteger<T>
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(report);
        if (_padding is not null)
        {
            _padding.Collate(inputIds, batch);
            bool left = _padding.Options.Side == PaddingSide.Left;
            int limit = _padding.Options.MaxLength > 0 ? Math.Min(_padding.Options.MaxLength, batch.Columns) : batch.Columns;
            for (int r = 0; r < batch.Rows; r++)
            {
                int n = Math.Min(inputIds.LengthOf(r), limit);
                int start = left ? batch.Columns - n : 0;
                report.Record(_masker.Apply(batch.InputIdsRow(r).Slice(start, n), batch.LabelsRow(r).Slice(start, n)));
            }
            return;
        }
        _flattening!.Collate(inputIds, batch);
        int cursor = 0;
        for (int r = 0; r < inputIds.Count; r++)
        {
            int n = inputIds.LengthOf(r);
            report.Record(_masker.Apply(batch.InputIds.Slice(cursor, n), batch.Labels.Slice(cursor, n)));
            if (n > 0) batch.Labels[cursor] = LabelIds.Ignore; // the first token of a sequence has no previous token
            cursor += n;
        }
    }
}
