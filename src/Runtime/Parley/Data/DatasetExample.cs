namespace Parley.Data;

/// <summary>
/// One good row of a dataset in its detected <see cref="DatasetFormat"/>: <see cref="Messages"/> for conversations,
/// <see cref="Prompt"/> and <see cref="Completion"/> for instruction pairs, <see cref="Text"/> for pre-formatted text.
/// </summary>
/// <example><code>
/// foreach (DatasetExample row in DatasetReader.Open("train.jsonl"))
///     Console.WriteLine(row.Format == DatasetFormat.Conversational ? row.Messages![0].Content : row.Text);
/// </code></example>
public sealed record DatasetExample
{
    /// <summary>The row's format.</summary>
    public required DatasetFormat Format { get; init; }

    /// <summary>0-based index of the row among the file's data rows (bad rows included).</summary>
    public required long Row { get; init; }

    /// <summary>1-based line of the file where the row starts.</summary>
    public required long Line { get; init; }

    /// <summary>The conversation (<see cref="DatasetFormat.Conversational"/>), roles normalised (<c>human</c> → <c>user</c>, <c>gpt</c> → <c>assistant</c>).</summary>
    public ChatMessage[]? Messages { get; init; }

    /// <summary>The prompt (<see cref="DatasetFormat.PromptCompletion"/>).</summary>
    public string? Prompt { get; init; }

    /// <summary>The completion (<see cref="DatasetFormat.PromptCompletion"/>).</summary>
    public string? Completion { get; init; }

    /// <summary>The pre-formatted text (<see cref="DatasetFormat.Text"/>).</summary>
    public string? Text { get; init; }
}
