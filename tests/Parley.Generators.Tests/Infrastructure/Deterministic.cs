using CsCheck;

namespace Parley.Generators.Tests;

/// <summary>
/// Runs a property over values drawn from fixed PCG streams, so every run checks the same cases. (CsCheck's own
/// <c>seed</c> argument pins only the first iteration; the rest would be random.)
/// </summary>
internal static class Deterministic
{
    public const ulong Seed = 20261129;

    public static void Check<T>(Gen<T> gen, Action<T> property, int iterations)
    {
        for (uint stream = 0; stream < iterations; stream++)
        {
            T value = gen.Generate(new PCG(stream, Seed), null!, out _);
            try
            {
                property(value);
            }
            catch (Exception e) when (e is not IgnoreException)
            {
                throw new AssertionException($"Property failed for PCG stream {stream} (seed {Seed}): {e.Message}", e);
            }
        }
    }
}
