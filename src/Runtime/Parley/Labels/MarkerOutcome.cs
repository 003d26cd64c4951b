#if NET

namespace Parley.Labels;

/// <summary>What marker-based masking did with one row.</summary>
public enum MarkerOutcome
{
    /// <summary>Markers were found; the response tokens keep their labels.</summary>
    Masked,

    /// <summary>The response marker does not occur: every label is -100 (TRL warns and does the same).</summary>
    NoResponseMarker,

    /// <summary>An instruction marker is configured but does not occur: every label is -100 (TRL semantics).</summary>
    NoInstructionMarker,
}
#endif
