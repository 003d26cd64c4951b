namespace Parley.Data;

/// <summary>How <see cref="DatasetReader"/> reads a file.</summary>
/// <example><code>
/// var options = new DatasetReadOptions
/// {
///     Columns = new ColumnMapping().Rename("sentence", "prompt").Rename("translation_extra", "completion").Drop("translation"),
///     BadRows = BadRowPolicy.Skip,
/// };
/// </code></example>
public sealed record DatasetReadOptions
{
    /// <summary>Column renames and drops, applied before detection.</summary>
    public ColumnMapping Columns { get; init; } = new();

    /// <summary>The format, or <see cref="DatasetFormat.Auto"/> to detect it from the first good row.</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>The column of pre-formatted text (after mapping); <c>text</c> by default.</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>
    /// Deterministic sharding for one process per core: this reader returns the rows whose index modulo
    /// <see cref="ShardCount"/> equals <see cref="ShardIndex"/> (rows of other shards are not even parsed).
    /// </summary>
    public int ShardIndex { get; init; }

    /// <summary>Number of shards (1, the default, reads everything).</summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>Whether row <paramref name="row"/> belongs to this reader's shard.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The shard settings are inconsistent.</exception>
    public bool InShard(long row)
    {
        if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount)
        {
            throw new ArgumentOutOfRangeException(nameof(ShardIndex), $"Shard {ShardIndex} of {ShardCount} does not exist: ShardCount must be >= 1 and 0 <= ShardIndex < ShardCount.");
        }
        return ShardCount == 1 || row % ShardCount == ShardIndex;
    }

    /// <summary>Throw on a bad row (default) or skip and count it.</summary>
    public BadRowPolicy BadRows { get; init; } = BadRowPolicy.Throw;

    /// <summary>
    /// Accepted roles and what they become: <c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c> as themselves, and
    /// ShareGPT's <c>human</c> → <c>user</c>, <c>gpt</c> → <c>assistant</c>. Any other role makes the row bad.
    /// </summary>
    public IReadOnlyDictionary<string, string> Roles { get; init; } = DefaultRoles;

    /// <summary>The default role table.</summary>
    public static IReadOnlyDictionary<string, string> DefaultRoles { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["system"] = "system",
        ["user"] = "user",
        ["assistant"] = "assistant",
        ["tool"] = "tool",
        ["human"] = "user",
        ["gpt"] = "assistant",
    };
}
