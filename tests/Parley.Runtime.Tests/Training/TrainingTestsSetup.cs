using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

/// <summary>
/// The training tests run tiny models, for which one libtorch thread is both fastest and deterministic; on a shared
/// two-core machine more intra-op threads made a step 10-20x slower.
/// </summary>
[SetUpFixture]
public sealed class TrainingTestsSetup
{
    [OneTimeSetUp]
    public void OneThread() => set_num_threads(1);
}
