using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>
/// A module whose linear projections (<c>q_proj</c>, <c>gate_proj</c> …) can be swapped — for an NF4
/// <c>Linear4bit</c> or a LoRA wrapper — keeping the state-dict names.
/// </summary>
/// <example>
/// <code>
/// foreach (var name in host.ProjectionNames)
///     host.SetProjection(name, Wrap(host.GetProjection(name)));
/// </code>
/// </example>
public interface IProjectionHost
{
    /// <summary>The projection names, as in the state dict.</summary>
    IReadOnlyList<string> ProjectionNames { get; }

    /// <summary>The module now in the slot.</summary>
    /// <param name="name">One of <see cref="ProjectionNames"/>.</param>
    /// <returns>The projection module.</returns>
    nn.Module<Tensor, Tensor> GetProjection(string name);

    /// <summary>Puts <paramref name="module"/> in the slot (the old module is not disposed).</summary>
    /// <param name="name">One of <see cref="ProjectionNames"/>.</param>
    /// <param name="module">Maps the same input width to the same output width.</param>
    void SetProjection(string name, nn.Module<Tensor, Tensor> module);
}
