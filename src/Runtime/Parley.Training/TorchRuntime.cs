using System.Text;
using TorchSharp;

namespace Parley.Training;

/// <summary>
/// Loads TorchSharp's native libraries once and, when that fails, says which of the usual three causes it is: no
/// libtorch package in the app, or a system libstdc++ older than the one TorchSharp was linked against (Debian 12)
/// without Parley's build step that fixes it. TorchSharp's own message blames a missing package in every case.
/// </summary>
/// <example><code>
/// TorchRuntime.EnsureLoaded();   // throws one clear InvalidOperationException instead of a native load error
/// </code></example>
public static class TorchRuntime
{
    private const string GlibcxxVersion = "GLIBCXX_3.4.32";
    private static readonly Lock Gate = new();
    private static bool _loaded;

    /// <summary>Loads libtorch for the CPU (CUDA is loaded on demand by <see cref="TrainingDevice"/>).</summary>
    /// <exception cref="InvalidOperationException">The native libraries cannot be loaded; the message names the fix.</exception>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded))
        {
            return;
        }

        lock (Gate)
        {
            if (_loaded)
            {
                return;
            }

            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
            {
                throw new InvalidOperationException(Diagnose(AppContext.BaseDirectory, e), e);
            }

            _loaded = true;
        }
    }

    /// <summary>Explains a failed native load from what the application folder holds.</summary>
    internal static string Diagnose(string appDirectory, Exception error)
    {
        string? bridge = FindNative(appDirectory, "libLibTorchSharp.so");
        string? libtorch = FindNative(appDirectory, "libtorch.so") ?? FindNative(appDirectory, "libtorch_cpu.so");
        if (OperatingSystem.IsLinux() && (bridge is null || libtorch is null))
        {
            return "TorchSharp's native libraries are not in " + appDirectory + ": add the package libtorch-cpu-linux-x64 "
                + "(CPU) or TorchSharp-cuda-linux (NVIDIA GPU) to the application project that runs training, then rebuild.";
        }

        if (OperatingSystem.IsLinux() && bridge is not null && !SystemLibStdCxxHas(GlibcxxVersion))
        {
            // The load failed with both libraries present on a system without the version: the need is still strong.
            return "libLibTorchSharp.so needs " + GlibcxxVersion + ", which this system's libstdc++ lacks (Debian 12 has 3.4.30). "
                + "Parley.Training's build step marks that unused need weak in the build output; it did not run for " + bridge
                + ": build the application with the Parley.Training package referenced (its buildTransitive targets apply it), "
                + "do not set ParleyWeakenGlibcxx=false, and run from the build or publish folder.";
        }

        return "TorchSharp's native libraries could not be loaded from " + appDirectory + ": " + error.Message;
    }

    private static string? FindNative(string directory, string fileName)
    {
        foreach (string candidate in new[] { Path.Combine(directory, fileName), Path.Combine(directory, "runtimes", "linux-x64", "native", fileName) })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        foreach (string path in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" })
        {
            if (File.Exists(path))
            {
                return Contains(File.ReadAllBytes(path), version);
            }
        }

        return true;
    }

    private static bool Contains(byte[] haystack, string text) => haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;
}
