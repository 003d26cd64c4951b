using Parley.Training;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class TrainingDeviceTests
{
    [Test]
    public void Cpu_resolves()
    {
        Assert.That(TrainingDevice.Resolve("cpu").type, Is.EqualTo(TorchSharp.DeviceType.CPU));
        Assert.That(TrainingDevice.Resolve("auto").type, Is.EqualTo(cuda.is_available() ? TorchSharp.DeviceType.CUDA : TorchSharp.DeviceType.CPU));
    }

    [Test]
    public void Cuda_without_a_gpu_says_which_package_to_use()
    {
        if (cuda.is_available())
        {
            Assert.That(TrainingDevice.Resolve("cuda").type, Is.EqualTo(TorchSharp.DeviceType.CUDA));
            return;
        }
        Assert.That(() => TrainingDevice.Resolve("cuda"), Throws.TypeOf<ConfigException>().With.Message.Contains("TorchSharp-cuda-linux"));
    }

    [Test]
    public void Unknown_devices_are_rejected()
    {
        Assert.That(() => TrainingDevice.Resolve("tpu"), Throws.TypeOf<ConfigException>().With.Message.Contains("cpu, cuda"));
    }
}
