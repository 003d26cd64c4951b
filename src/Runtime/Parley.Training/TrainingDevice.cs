using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Training;

/// <summary>
/// Turns a device string into a TorchSharp device, with a clear error when CUDA is asked for but missing.
/// CPU needs the <c>libtorch-cpu-linux-x64</c> package in the app; for an NVIDIA GPU reference
/// <c>TorchSharp-cuda-linux</c> (same TorchSharp version) instead and pass <c>"cuda"</c> (or <c>"cuda:1"</c>).
/// </summary>
/// <example>
/// <code>
/// var device = TrainingDevice.Resolve(args.Length > 0 ? args[0] : "cpu");
/// using var model = Llama2cLoader.Load("stories260K.bin", device);
/// </code>
/// </example>
public static class TrainingDevice
{
    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> (or <c>auto</c>: CUDA when available, else CPU).</summary>
    /// <param name="name">The device string.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ConfigException">The string is not a known device, or CUDA was asked for but is not available (field <c>device</c>).</exception>
    public static Device Resolve(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        TorchRuntime.EnsureLoaded();
        var text = name.Trim().ToLowerInvariant();
        if (text == "auto")
        {
            return cuda.is_available() ? CUDA : CPU;
        }
        if (text == "cpu")
        {
            return CPU;
        }
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
            {
                throw new ConfigException(null, "device",
                    $"\"{name}\" was asked for but CUDA is not available: reference the TorchSharp-cuda-linux package " +
                    "(instead of libtorch-cpu-linux-x64) in the app, check the NVIDIA driver, or use \"cpu\".");
            }
            int index = 0;
            if (text.Length > 4 && !int.TryParse(text[5..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
            {
                throw new ConfigException(null, "device", $"\"{name}\": write cuda:N with N a device number, e.g. cuda:0.");
            }
            if (index >= cuda.device_count())
            {
                throw new ConfigException(null, "device", $"\"{name}\": only {cuda.device_count()} CUDA device(s) are visible.");
            }
            return new Device(DeviceType.CUDA, index);
        }
        throw new ConfigException(null, "device", $"unknown device \"{name}\"; use cpu, cuda, cuda:N or auto.");
    }
}
