namespace Parley.Benchmarks.Data;

/// <summary>Synthetic, seeded token data with a long-tailed (log-normal) length distribution.</summary>
internal static class Synthetic
{
    /// <summary>Lengths ~ exp(N(mu, sigma)) clamped to [1, max]: median e^mu, long tail.</summary>
    public static int[] Lengths(int count, double mu, double sigma, int max, int seed)
    {
        var random = new Random(seed);
        var lengths = new int[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            lengths[i] = (int)Math.Clamp(Math.Exp(mu + sigma * normal), 1, max);
        }
        return lengths;
    }

    /// <summary>Flat ids (values 3..31999) for the given lengths, and Count + 1 offsets.</summary>
    public static (int[] Values, int[] Offsets) Ids(int[] lengths, int seed)
    {
        var random = new Random(seed);
        var offsets = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) offsets[i + 1] = offsets[i] + lengths[i];
        var values = new int[offsets[^1]];
        for (int i = 0; i < values.Length; i++) values[i] = random.Next(3, 32000);
        return (values, offsets);
    }
}
