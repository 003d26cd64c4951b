using TorchSharp;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class TorchSetupTests
{
    [Test]
    public void Native_backend_loads_and_computes()
    {
        using var a = tensor(new float[] { 1, 2, 3 });
        using var b = a.mul(2);
        Assert.That(b.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 4, 6 }));
    }

    [Test]
    public void EnsureLoaded_Succeeds_WhereTheBuildPatchedTheBridge()
    {
        Assert.DoesNotThrow(Parley.Training.TorchRuntime.EnsureLoaded);
        Assert.DoesNotThrow(Parley.Training.TorchRuntime.EnsureLoaded, "idempotent");
    }

    [Test]
    public void Diagnose_AnAppWithoutLibtorch_NamesThePackagesToAdd()
    {
        string empty = Directory.CreateTempSubdirectory("parley-nolibtorch").FullName;
        try
        {
            string message = Parley.Training.TorchRuntime.Diagnose(empty, new NotSupportedException("libtorch-cpu-linux-x64 missing"));
            Assert.That(message, Is.EqualTo("TorchSharp's native libraries are not in " + empty + ": add the package libtorch-cpu-linux-x64 "
                + "(CPU) or TorchSharp-cuda-linux (NVIDIA GPU) to the application project that runs training, then rebuild."));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
