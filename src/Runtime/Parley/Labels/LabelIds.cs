namespace Parley.Labels;

/// <summary>Label values with a fixed meaning.</summary>
/// <example><code>bool trained = labels[i] != LabelIds.Ignore;</code></example>
public static class LabelIds
{
    /// <summary>The ignore index (<c>-100</c>): PyTorch's cross-entropy skips positions holding it.</summary>
    public const int Ignore = -100;
}
