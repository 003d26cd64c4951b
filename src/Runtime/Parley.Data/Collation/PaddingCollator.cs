using Parley.Buffers;
using System.Numerics;
using Parley.Labels;

namespace Parley.Collation;

/// <summary>
/// Pads variable-length rows into a <c>[rows, columns]</c> <see cref="Batch"/> with an attention mask and labels
/// (transformers <c>DataCollatorWithPadding</c> + TRL/transformers language-modelling labels).
/// </summary>
/// <remarks>
/// Labels are masked by the attention mask, never by comparing ids with the pad id, so a real EOS keeps its label
/// when PAD == EOS (transformers masks every id equal to the pad id; TRL issue #976).
/// </remarks>
/// <example><code>
/// var collator = new PaddingCollator(new PaddingOptions { PadTokenId = 0, Side = PaddingSide.Left });
/// using var batch = new Batch();
/// collator.Collate(Ragged&lt;int&gt;.FromRows([[1, 2, 3], [4, 5]]).AsSpan(), batch);
/// // input_ids [[1,2,3],[0,4,5]]  attention_mask [[1,1,1],[0,1,1]]  labels [[1,2,3],[-100,4,5]]
/// </code></example>
public sealed class PaddingCollator
{
    private readonly PaddingOptions _options;

    /// <summary>Creates a collator.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (see <see cref="PaddingOptions.Validate"/>).</exception>
    public PaddingCollator(PaddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>The options this collator applies.</summary>
    public PaddingOptions Options => _options;

    /// <summary>Language modelling: labels are the ids themselves, padding gets -100.</summary>
    public void Collate<T>(RaggedSpan<T> inputIds, Batch batch) where T : unmanaged, IBinaryInteger<T> =>
        CollateCore(inputIds, inputIds, batch);

    /// <summary>
    /// Uses precomputed labels (from a template's trainable ranges, markers or a completion mask: the id or -100 per
    /// token); padding gets -100.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> rows do not have the lengths of <paramref name="inputIds"/> rows.</exception>
    public void Collate<T>(RaggedSpan<T> inputIds, RaggedSpan<T> labels, Batch batch) where T : unmanaged, IBinaryInteger<T>
    {
        if (!inputIds.HasSameShape(labels))
        {
            throw new ArgumentException("Labels must have one value per token: their rows differ in number or length from input_ids.", nameof(labels));
        }
        CollateCore(inputIds, labels, batch);
    }

    /// <summary>The padded length this collator gives rows of the given longest length.</summary>
    public int PaddedLength(int longest)
    {
        int width = _options.PadToMaxLength ? _options.MaxLength
            : _options.MaxLength > 0 ? Math.Min(longest, _options.MaxLength) : longest;
        return PaddingOptions.RoundUp(width, _options.PadToMultipleOf);
    }

    private void CollateCore<T>(RaggedSpan<T> inputIds, RaggedSpan<T> labels, Batch batch) where T : unmanaged, IBinaryInteger<T>
    {
        ArgumentNullException.ThrowIfNull(batch);
        int rows = inputIds.Count;
        int longest = 0;
        for (int r = 0; r < rows; r++) longest = Math.Max(longest, inputIds.LengthOf(r));
        int width = PaddedLength(longest);
        int limit = _options.MaxLength > 0 ? _options.MaxLength : int.MaxValue;
        batch.Reset(rows, width, attentionMask: true, positionIds: false, seqIdx: false, cuSeqLens: 0);
        long pad = _options.PadTokenId;
        bool left = _options.Side == PaddingSide.Left;
        for (int r = 0; r < rows; r++)
        {
            var ids = inputIds[r];
            var lab = labels[r];
            int n = Math.Min(Math.Min(ids.Length, limit), width);
            int start = left ? width - n : 0;
            var idsRow = batch.InputIdsRow(r);
            var maskRow = batch.AttentionMaskRow(r);
            var labelsRow = batch.LabelsRow(r);
            // Real tokens at [start, start + n); padding in the rest (before them on the left, after on the right).
            int padStart = left ? 0 : n;
            int padLength = width - n;
            Widen.Copy(ids[..n], idsRow[start..]);
            Widen.Copy(lab[..n], labelsRow[start..]);
            maskRow.Slice(start, n).Fill(1);
            idsRow.Slice(padStart, padLength).Fill(pad);
            maskRow.Slice(padStart, padLength).Fill(0);
            labelsRow.Slice(padStart, padLength).Fill(LabelIds.Ignore);
        }
    }
}
