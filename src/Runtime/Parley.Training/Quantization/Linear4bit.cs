using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Parley.Training.Quantization;

/// <summary>
/// A linear layer whose weight is stored as NF4 (bitsandbytes' <c>Linear4bit</c>): packed 4-bit codes and the block
/// absmax (double-quantized by default) live in buffers; each forward dequantizes the weight into the compute dtype
/// (float32 or bfloat16) and multiplies. The weight is frozen; only the optional bias may be trained.
/// </summary>
/// <example>
/// <code>
/// using var dense = torch.nn.Linear(64, 172, hasBias: false);
/// using var q = Linear4bit.FromLinear(dense, Nf4Options.Default, ScalarType.BFloat16);
/// using var y = q.call(x.to_type(ScalarType.BFloat16));
/// </code>
/// </example>
public sealed class Linear4bit : nn.Module<Tensor, Tensor>
{
    private readonly long[] weightShape;
    private readonly long length;
    private readonly int blockSize;
    private readonly int absmaxBlockSize;
    private readonly Nf4Tensor quantized;
    private ScalarType computeDType;
#pragma warning disable IDE1006 // field names are the state-dict names
    private Tensor weight_packed;
    private Tensor nf4_code;
    private Tensor? absmax;
    private Tensor? absmax_codes;
    private Tensor? absmax_scales;
    private Tensor? absmax_offset;
    private Tensor? dynamic_map;
    private Parameter? bias;
#pragma warning restore IDE1006

    /// <summary>Wraps an already quantized weight.</summary>
    /// <param name="weight">The NF4 weight, shape <c>[out, in]</c>.</param>
    /// <param name="bias">An optional bias <c>[out]</c> (kept in <paramref name="computeDType"/>, trainable).</param>
    /// <param name="computeDType">Float32 or BFloat16 (or Float16): the dtype of the matmul.</param>
    /// <param name="device">Where the buffers live (null: CPU).</param>
    /// <exception cref="ArgumentException">The weight is not 2-D or the dtype is not a floating type.</exception>
    public Linear4bit(Nf4Tensor weight, Tensor? bias = null, ScalarType computeDType = ScalarType.Float32, Device? device = null)
        : base(nameof(Linear4bit))
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Shape.Count != 2)
        {
            throw new ArgumentException($"Linear4bit needs a 2-D [out, in] weight; got shape [{string.Join(", ", weight.Shape)}].", nameof(weight));
        }
        CheckDType(computeDType);
        quantized = weight;
        weightShape = [.. weight.Shape];
        length = weight.Length;
        blockSize = weight.BlockSize;
        this.computeDType = computeDType;
        weight_packed = tensor(weight.Packed.ToArray(), device: device);
        nf4_code = tensor(weight.CodeArray, device: device);
        if (weight.QuantizedAbsmax is { } q)
        {
            absmaxBlockSize = q.BlockSize;
            // restored with Parley's signed dynamic map; a checkpoint's nested_quant_map is checked against it on load
            absmax_codes = tensor(q.Codes.ToArray(), device: device);
            absmax_scales = tensor(q.Scales.ToArray(), device: device);
            absmax_offset = tensor(new[] { q.Offset }, device: device);
            dynamic_map = tensor(QuantizationMaps.SignedDynamicArray, device: device);
        }
        else
        {
            absmax = tensor(weight.Absmax!.Value.ToArray(), device: device);
        }
        if (bias is not null)
        {
            this.bias = new Parameter(bias.detach().to(computeDType, device ?? CPU).clone(), requires_grad: true);
        }
        RegisterComponents();
    }

    /// <summary>Quantizes a dense linear layer's weight (moved to the CPU to quantize) and copies its bias.</summary>
    /// <param name="linear">The layer to replace.</param>
    /// <param name="options">Block size and double quantization.</param>
    /// <param name="computeDType">The matmul dtype.</param>
    /// <returns>The 4-bit layer on the same device as <paramref name="linear"/>.</returns>
    public static Linear4bit FromLinear(Linear linear, Nf4Options options, ScalarType computeDType = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(linear);
        var w = linear.weight ?? throw new ArgumentException("the linear layer has no weight.", nameof(linear));
        using var cpu = w.detach().to(ScalarType.Float32, CPU).contiguous();
        var q = Nf4Quantizer.Quantize(cpu.data<float>().ToArray(), cpu.shape, options);
        return new Linear4bit(q, linear.bias, computeDType, w.device);
    }

    /// <summary>The NF4 weight as quantized (host copy).</summary>
    public Nf4Tensor Weight => quantized;

    /// <summary>Input width.</summary>
    public long InFeatures => weightShape[1];

    /// <summary>Output width.</summary>
    public long OutFeatures => weightShape[0];

    /// <summary>The device holding the packed weight.</summary>
    public Device WeightDevice => weight_packed.device;

    /// <summary>The matmul dtype.</summary>
    public ScalarType ComputeDType => computeDType;

    /// <summary>The trainable bias, or null.</summary>
    public Parameter? Bias => bias;

    /// <summary>Dequantizes the weight into float32 (bit-identical to <see cref="Nf4Quantizer.Dequantize(Nf4Tensor)"/>),
    /// then casts to <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The result dtype; the compute dtype when null.</param>
    /// <returns>The weight <c>[out, in]</c>.</returns>
    public Tensor DequantizeWeight(ScalarType? dtype = null)
    {
        using var scope = NewDisposeScope();
        if (weight_packed.device_type == DeviceType.CPU && blockSize % 2 == 0 && length <= int.MaxValue)
        {
            var host = DequantizeOnHost();
            var target = dtype ?? computeDType;
            return (target == ScalarType.Float32 ? host : host.to_type(target)).MoveToOuterDisposeScope();
        }
        return DequantizeWithTensorOps(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The device path of <see cref="DequantizeWeight"/> (tensor ops, any device); internal so tests can hold
    /// the CPU path to it bit for bit.</summary>
    internal Tensor DequantizeWithTensorOps(ScalarType? dtype = null)
    {
        using var scope = NewDisposeScope();
        var packed = weight_packed.to_type(ScalarType.Int64);
        var codes = stack([packed.bitwise_right_shift(4), packed.bitwise_and(15)], 1).view(-1);
        var blocks = Blockwise.BlockCount(length, blockSize);
        var values = nf4_code.index_select(0, codes);
        var padded = values.shape[0] == (long)blocks * blockSize
            ? values
            : nn.functional.pad(values, [0, (long)blocks * blockSize - values.shape[0]]);
        var scaled = padded.view(blocks, blockSize) * RestoreAbsmax().unsqueeze(1);
        var weight = scaled.view(-1).narrow(0, 0, length).view(weightShape).to_type(dtype ?? computeDType);
        return weight.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The CPU dequantization: one pass over the packed bytes, each byte looked up as its two code values and scaled by
    /// its block's absmax, written straight into the float32 result. The same single float32 multiply as the tensor
    /// path (<c>code[i] * absmax</c>), so bit-identical, but about 4× faster: the tensor path widens the bytes to int64,
    /// splits the nibbles, stacks, gathers and multiplies (five passes and four temporaries; the 29.5M Llama's 25 M NF4
    /// weights took 170 ms that way and 43 ms this way in one run). Needs an even block size, so no byte straddles two
    /// blocks.
    /// </summary>
    private Tensor DequantizeOnHost()
    {
        using var absmaxValues = RestoreAbsmax().contiguous();
        var weight = empty(weightShape, ScalarType.Float32);
        var pairs = CodePairs();
        var scales = MemoryMarshal.Cast<byte, float>(absmaxValues.bytes);
        var packed = weight_packed.bytes;
        var values = MemoryMarshal.Cast<byte, float>(weight.bytes);
        // one thread (a few ms per weight): worker threads of our own would compete with libtorch's spinning OpenMP workers
        DequantizeBlocks(packed, scales, values, pairs);
        return weight;
    }

    private void DequantizeBlocks(ReadOnlySpan<byte> packed, ReadOnlySpan<float> scales, Span<float> values, float[] pairs)
    {
        for (var b = 0; b < scales.Length; b++)
        {
            var scale = scales[b];
            var start = (long)b * blockSize;
            var count = (int)Math.Min(blockSize, length - start);
            var output = values.Slice((int)start, count);
            var bytes = packed.Slice((int)(start / 2), (count + 1) / 2);
            var i = 0;
            for (; i + 1 < count; i += 2)
            {
                var pair = bytes[i >> 1] * 2;
                output[i] = pairs[pair] * scale;
                output[i + 1] = pairs[pair + 1] * scale;
            }
            if (i < count)
            {
                output[i] = pairs[bytes[i >> 1] * 2] * scale; // a final odd value: the high nibble
            }
        }
    }

    /// <summary>For each byte value, the codes of its high and low nibble (512 floats), from the code buffer as the
    /// tensor path reads it (so a loaded state dict's code is used).</summary>
    private float[] CodePairs()
    {
        var code = nf4_code.data<float>().ToArray();
        var pairs = new float[512];
        for (var b = 0; b < 256; b++)
        {
            pairs[2 * b] = code[b >> 4];
            pairs[2 * b + 1] = code[b & 15];
        }
        return pairs;
    }

    /// <summary>
    /// A new 4-bit layer whose weight is <c>quantize(dequantize(W) + delta)</c> with this layer's block size and double
    /// quantization (bitsandbytes' and PEFT's way of merging a LoRA update into a 4-bit base). The bias and compute
    /// dtype are kept. Lossy: the sum is rounded to the 16 NF4 levels of each block again, so the merged layer is
    /// close to, not equal to, base plus adapter.
    /// </summary>
    /// <param name="delta">The update <c>[out, in]</c> (any float dtype, any device).</param>
    /// <returns>The requantized layer on this layer's device.</returns>
    /// <example><code>using var merged = q.MergedWith(lora.DeltaWeight());</code></example>
    /// <exception cref="ArgumentException"><paramref name="delta"/> does not have the weight's shape.</exception>
    public Linear4bit MergedWith(Tensor delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (!delta.shape.SequenceEqual(weightShape))
        {
            throw new ArgumentException($"the update has shape [{string.Join(", ", delta.shape)}] but the weight is [{string.Join(", ", weightShape)}].", nameof(delta));
        }
        var options = new Nf4Options { BlockSize = blockSize, DoubleQuant = quantized.QuantizedAbsmax is not null };
        Nf4Tensor requantized;
        using (NewDisposeScope())
        {
            var sum = DequantizeWeight(ScalarType.Float32).cpu() + delta.detach().to(ScalarType.Float32, CPU);
            requantized = Nf4Quantizer.Quantize(sum.contiguous().data<float>().ToArray(), weightShape, options, quantized.CodeArray, quantized.QuantType);
        }
        // built outside the scope above, which would otherwise dispose the new layer's buffers
        return new Linear4bit(requantized, bias, computeDType, WeightDevice);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var w = DequantizeWeight();
        var x = input.dtype == computeDType ? input : input.to_type(computeDType);
        return nn.functional.linear(x, w, bias).MoveToOuterDisposeScope();
    }

    /// <summary>Changing the dtype of a 4-bit layer changes its compute dtype (and the bias's); the packed weight and
    /// its absmax keep their storage types.</summary>
    protected override nn.Module _to(ScalarType dtype, bool non_blocking)
    {
        CheckDType(dtype);
        computeDType = dtype;
        Move(null, dtype);
        return this;
    }

    /// <summary>Moves the buffers to <paramref name="device"/> keeping their storage types; <paramref name="dtype"/>
    /// becomes the compute dtype.</summary>
    protected override nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        CheckDType(dtype);
        computeDType = dtype;
        Move(device, dtype);
        return this;
    }

    private void Move(Device? device, ScalarType dtype)
    {
        Tensor Buffer(Tensor t, string name)
        {
            if (device is null || (t.device_type == device.type && t.device_index == device.index))
            {
                return t;
            }
            var moved = t.to(device);
            t.Dispose();
            ConditionallyRegisterBuffer(name, moved);
            return moved;
        }
        weight_packed = Buffer(weight_packed, nameof(weight_packed));
        nf4_code = Buffer(nf4_code, nameof(nf4_code));
        absmax = absmax is null ? null : Buffer(absmax, nameof(absmax));
        absmax_codes = absmax_codes is null ? null : Buffer(absmax_codes, nameof(absmax_codes));
        absmax_scales = absmax_scales is null ? null : Buffer(absmax_scales, nameof(absmax_scales));
        absmax_offset = absmax_offset is null ? null : Buffer(absmax_offset, nameof(absmax_offset));
        dynamic_map = dynamic_map is null ? null : Buffer(dynamic_map, nameof(dynamic_map));
        if (bias is not null)
        {
            var converted = new Parameter(bias.detach().to(dtype, device ?? bias.device).clone(), bias.requires_grad);
            bias.Dispose();
            bias = converted;
            ConditionallyRegisterParameter(nameof(bias), converted);
        }
    }

    private Tensor RestoreAbsmax()
    {
        if (absmax is not null)
        {
            return absmax.alias();
        }
        var blocks = absmax_codes!.shape[0];
        var scaleBlocks = absmax_scales!.shape[0];
        var centred = dynamic_map!.index_select(0, absmax_codes.to_type(ScalarType.Int64));
        var padded = blocks == scaleBlocks * absmaxBlockSize ? centred : nn.functional.pad(centred, [0, scaleBlocks * absmaxBlockSize - blocks]);
        var restored = (padded.view(scaleBlocks, absmaxBlockSize) * absmax_scales.unsqueeze(1)).view(-1).narrow(0, 0, blocks);
        return restored + absmax_offset!;
    }

    private static void CheckDType(ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new ArgumentException($"compute dtype {dtype} is not supported; use Float32, BFloat16 or Float16.", nameof(dtype));
        }
    }
}
