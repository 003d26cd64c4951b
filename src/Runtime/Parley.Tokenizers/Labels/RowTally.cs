namespace Parley.Labels;

/// <summary>
/// What became of a dataset's rows on the way to training data: kept, skipped by reason (bad, empty conversation, no
/// trained token after formatting or after truncation), truncated, tokens dropped. Every command prints it at the end,
/// so no row disappears silently; <see cref="RequireTrainedRows"/> turns "nothing would be trained" into an error.
/// </summary>
/// <example><code>
/// var tally = new RowTally();
/// foreach (var row in rows) { if (tally.Empty(row.Messages)) continue; var e = encoder.Encode(row); if (tally.Keep(e)) use(e); }
/// tally.RequireTrainedRows("train.jsonl");
/// Console.WriteLine(tally);   // 240 rows: 238 kept; skipped: 1 empty conversation, 1 with no trained token
/// </code></example>
public sealed class RowTally
{
    /// <summary>Rows read (including those skipped).</summary>
    public long Read { get; private set; }

    /// <summary>Rows kept.</summary>
    public long Kept { get; private set; }

    /// <summary>Bad rows the reader skipped (set from its report).</summary>
    public long Bad { get; set; }

    /// <summary>Empty conversations (<c>"messages": []</c>) skipped.</summary>
    public long EmptyConversations { get; private set; }

    /// <summary>Rows skipped because the template marks no token of them as trained.</summary>
    public long Untrained { get; private set; }

    /// <summary>Rows skipped because truncation to the sequence length cut every trained token.</summary>
    public long UntrainedAfterTruncation { get; private set; }

    /// <summary>Rows kept but truncated.</summary>
    public long Truncated { get; private set; }

    /// <summary>Tokens dropped by truncation.</summary>
    public long TokensDropped { get; private set; }

    /// <summary>Counts an empty conversation; true when <paramref name="messages"/> is empty (skip the row).</summary>
    /// <param name="messages">The row's messages (null for a non-conversational row).</param>
    public bool Empty(IReadOnlyCollection<ChatMessage>? messages)
    {
        if (messages is not { Count: 0 }) return false;
        Read++;
        EmptyConversations++;
        return true;
    }

    /// <summary>Counts a formatted row; true when it has a trained token (keep it), false when it has none (skip it).</summary>
    /// <param name="encoded">The row.</param>
    /// <param name="training">False for commands that show data rather than train on it (they keep the row but count it).</param>
    public bool Keep(EncodedConversation encoded, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        Read++;
        if (encoded.TrainedTokens == 0)
        {
            Untrained++;
            if (training) return false;
        }

        Kept++;
        return true;
    }

    /// <summary>Counts a plain row that needs no labels check (pre-formatted text, or formatting only).</summary>
    public void KeepUnchecked()
    {
        Read++;
        Kept++;
    }

    /// <summary>
    /// Truncates a kept row to <paramref name="seqLength"/> tokens and counts it; returns null (and counts the row as skipped)
    /// when the cut leaves no trained token.
    /// </summary>
    /// <param name="ids">The row's token ids (kept by <see cref="Keep"/>).</param>
    /// <param name="labels">Its labels.</param>
    /// <param name="seqLength">The cap.</param>
    public (int[] Ids, int[] Labels)? Truncate(int[] ids, int[] labels, int seqLength)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(labels);
        if (ids.Length <= seqLength) return (ids, labels);
        int[] cutLabels = labels[..seqLength];
        if (Array.TrueForAll(cutLabels, l => l == LabelIds.Ignore))
        {
            Kept--;
            UntrainedAfterTruncation++;
            return null;
        }

        Truncated++;
        TokensDropped += ids.Length - seqLength;
        return (ids[..seqLength], cutLabels);
    }

    /// <summary>Fails when rows were read but none has a trained token.</summary>
    /// <param name="source">The dataset, for the message.</param>
    /// <param name="template">The template's name, for the message.</param>
    /// <exception cref="Parley.Data.DatasetFileException">No row would train anything.</exception>
    public void RequireTrainedRows(string source, string template)
    {
        if (Kept > 0) return;
        throw new Parley.Data.DatasetFileException(source,
            $"no row has a trained token ({this}). With template {template} the trained tokens are the assistant's answers as written in the data; " +
            "a template that rewrites the answer (e.g. '{{ m.content | upper }}') or rows without an assistant turn train nothing. Use a template that writes the answer as given, or rows with answers.");
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var skipped = new List<string>();
        if (Bad > 0) skipped.Add($"{Bad} bad");
        if (EmptyConversations > 0) skipped.Add($"{EmptyConversations} empty conversation{(EmptyConversations == 1 ? "" : "s")}");
        if (Untrained > 0) skipped.Add($"{Untrained} with no trained token");
        if (UntrainedAfterTruncation > 0) skipped.Add($"{UntrainedAfterTruncation} with no trained token left after truncation");
        string text = $"{Read + Bad} rows: {Kept} kept";
        if (skipped.Count > 0) text += "; skipped: " + string.Join(", ", skipped);
        if (Truncated > 0) text += $"; {Truncated} truncated ({TokensDropped} tokens dropped)";
        return text;
    }
}
