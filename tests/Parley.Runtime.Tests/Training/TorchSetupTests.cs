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
}
