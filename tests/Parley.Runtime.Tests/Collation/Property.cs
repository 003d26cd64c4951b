using CsCheck;

namespace Parley.Runtime.Tests.Collation;

/// <summary>
/// Runs a CsCheck generator from a fixed PCG seed so every run checks the same inputs (CsCheck's <c>Sample</c>
/// continues with fresh random seeds after the first); the failing iteration and its input are reported.
/// </summary>
internal static class Property
{
    public static void ForAll<T>(Gen<T> gen, Action<T> property, int iterations = 300, ulong seed = 20261129)
    {
        var pcg = new PCG(7, seed);
        for (int i = 0; i < iterations; i++)
        {
            T value = gen.Generate(pcg, null, out _);
            try
            {
                property(value);
            }
            catch (Exception e) when (e is not IgnoreException)
            {
                throw new AssertionException($"property failed at iteration {i} (seed {seed}) for input {Check.Print(value)}: {e.Message}", e);
            }
        }
    }
}
