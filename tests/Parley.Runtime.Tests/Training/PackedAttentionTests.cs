using Parley.Training;
using Parley.Training.Models;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class PackedAttentionTests
{
    private static readonly long[] First = [1, 403, 407, 261, 378];
    private static readonly long[] Second = [1, 432, 383, 286, 261, 376, 298];

    private static float[] Alone(LlamaForCausalLM model, long[] ids)
    {
        using var logits = model.call(tensor(ids, [1, ids.Length]), null, null);
        return logits.data<float>().ToArray();
    }

    [TestCase("cpu")]
    public void Logits_of_a_packed_row_equal_each_sequence_run_alone(string deviceName)
    {
        var device = TrainingDevice.Resolve(deviceName);
        using var model = Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"), device);
        using var noGrad = no_grad();
        var expected = Alone(model, First).Concat(Alone(model, Second)).ToArray();

        var ids = First.Concat(Second).ToArray();
        var positions = Enumerable.Range(0, First.Length).Concat(Enumerable.Range(0, Second.Length)).Select(i => (long)i).ToArray();
        using var packed = model.call(tensor(ids, [1, ids.Length], device: device), tensor(positions, [1, ids.Length], device: device), null);

        Assert.That(packed.cpu().data<float>().ToArray(), Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void Right_padding_does_not_change_the_real_tokens_logits()
    {
        using var model = Llama2cLoader.Load(Fixtures.Path("models", "stories260K", "stories260K.bin"));
        using var noGrad = no_grad();
        var padded = First.Concat(Enumerable.Repeat(0L, Second.Length - First.Length)).Concat(Second).ToArray();
        var mask = Enumerable.Repeat(1L, First.Length).Concat(Enumerable.Repeat(0L, Second.Length - First.Length))
            .Concat(Enumerable.Repeat(1L, Second.Length)).ToArray();
        using var logits = model.call(tensor(padded, [2, Second.Length]), null, tensor(mask, [2, Second.Length]));

        Assert.That(logits[0, ..First.Length].data<float>().ToArray(), Is.EqualTo(Alone(model, First)).Within(1e-5f));
        Assert.That(logits[1].data<float>().ToArray(), Is.EqualTo(Alone(model, Second)).Within(1e-5f));
        Assert.That(logits.isfinite().all().item<bool>(), Is.True, "padded rows stay finite");
    }

    [Test]
    public void The_mask_confines_attention_to_each_sequence()
    {
        using var mask = AttentionMask.Build(tensor(new long[] { 0, 1, 2, 0, 1 }, [1, 5]), null);
        var rows = mask[0, 0].to_type(ScalarType.Int32).data<int>().ToArray();
        Assert.That(rows, Is.EqualTo(new[]
        {
            1, 0, 0, 0, 0,
            1, 1, 0, 0, 0,
            1, 1, 1, 0, 0,
            0, 0, 0, 1, 0,
            0, 0, 0, 1, 1,
        }));
    }
}
