namespace Parley.Training.Quantization;

/// <summary>How <see cref="Nf4Quantizer"/> quantizes: block size and double quantization (QLoRA defaults: 64, on).</summary>
/// <example>
/// <code>
/// var options = new Nf4Options { BlockSize = 128, DoubleQuant = false };
/// </code>
/// </example>
public sealed record Nf4Options
{
    private readonly int blockSize = 64;

    /// <summary>The defaults: block size 64 with double quantization.</summary>
    public static Nf4Options Default { get; } = new();

    /// <summary>Values per absmax block: a power of two from 32 to 4096 (bitsandbytes' choices). Default 64.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a power of two in 32..4096.</exception>
    public int BlockSize
    {
        get => blockSize;
        init
        {
            if (value < 32 || value > 4096 || (value & (value - 1)) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(BlockSize), value, "the NF4 block size must be a power of two from 32 to 4096 (64 is QLoRA's).");
            }
            blockSize = value;
        }
    }

    /// <summary>Quantize the block absmax values to 8 bits (blocks of 256 with the signed dynamic map). Default on.</summary>
    public bool DoubleQuant { get; init; } = true;
}
