#if NET
using System.Numerics;

namespace Parley.Labels;

/// <summary>
/// Finds a template's response and instruction markers in a row of ids. <see cref="CompletionOnlyMasking"/> is
/// generic over a struct implementing this, so the JIT specialises the masking loop for each marker pair: the
/// generator's implementations compare against constant ids, the run-time one against arrays.
/// </summary>
/// <typeparam name="T">The id type.</typeparam>
/// <example><code>
/// MarkerOutcome outcome = CompletionOnlyMasking.Apply(ids, labels, new MySearch());
/// </code></example>
public interface IMarkerSearch<T> where T : unmanaged, IBinaryInteger<T>
{
    /// <summary>Number of ids in the response marker (at least 1).</summary>
    int ResponseLength { get; }

    /// <summary>Number of ids in the instruction marker; 0 when the template masks by the response marker alone.</summary>
    int InstructionLength { get; }

    /// <summary>Index of the first response marker at or after <paramref name="from"/>, or -1.</summary>
    int IndexOfResponse(ReadOnlySpan<T> ids, int from);

    /// <summary>Index of the last response marker, or -1.</summary>
    int LastIndexOfResponse(ReadOnlySpan<T> ids);

    /// <summary>Index of the first instruction marker at or after <paramref name="from"/>, or -1.</summary>
    int IndexOfInstruction(ReadOnlySpan<T> ids, int from);

    /// <summary>Index of the last instruction marker, or -1.</summary>
    int LastIndexOfInstruction(ReadOnlySpan<T> ids);
}
#endif
