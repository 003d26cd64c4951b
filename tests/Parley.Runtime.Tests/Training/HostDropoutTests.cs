using Parley.Training.Lora;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class HostDropoutTests
{
    [Test]
    public void The_mask_does_not_depend_on_how_it_is_split_or_on_the_vector_width()
    {
        var whole = new float[101];
        HostDropout.Fill(whole, 0, 12345, 0.3);
        // 7 values: scalar only; the chunks start on even offsets as the threaded fill's do
        var shortMask = new float[7];
        HostDropout.Fill(shortMask, 0, 12345, 0.3);
        Assert.That(shortMask, Is.EqualTo(whole[..7]));
        var pieces = new float[101];
        foreach (var (from, to) in new[] { (0, 8), (8, 38), (38, 40), (40, 101) })
        {
            HostDropout.Fill(pieces.AsSpan(from, to - from), from, 12345, 0.3);
        }
        Assert.That(pieces, Is.EqualTo(whole));
    }

    [Test]
    public void Values_are_zero_with_probability_p_and_otherwise_scaled_by_one_over_one_minus_p()
    {
        var mask = new float[1 << 20];
        HostDropout.Fill(mask, 0, 7, 0.05);
        var keep = 1f / 0.95f;
        Assert.That(mask.All(v => v == 0f || v == keep), Is.True);
        var dropped = mask.Count(v => v == 0f) / (double)mask.Length;
        // 1,048,576 Bernoulli(0.05) draws: standard deviation 0.00021; 4 sigma
        Assert.That(dropped, Is.EqualTo(0.05).Within(0.00085));
        // neighbours (the two halves of one 64-bit output) are independent: P(both dropped) = p²
        var both = Enumerable.Range(0, mask.Length / 2).Count(i => mask[2 * i] == 0f && mask[2 * i + 1] == 0f) / (mask.Length / 2.0);
        Assert.That(both, Is.EqualTo(0.0025).Within(0.0003));
        var other = new float[mask.Length];
        HostDropout.Fill(other, 0, 8, 0.05);
        Assert.That(other, Is.Not.EqualTo(mask), "another seed, another mask");
    }

    [Test]
    public void The_layer_masks_in_training_passes_the_input_in_eval_and_its_gradient_is_the_mask()
    {
        using var dropout = new HostDropout(0.5);
        using var x = ones(4, 1000).requires_grad_(true);
        manual_seed(1);
        using var y = dropout.call(x);
        manual_seed(1);
        using var again = dropout.call(x);
        Assert.That(y.equal(again).all().item<bool>(), Is.True, "the mask is seeded from torch's generator");
        var values = y.detach().data<float>().ToArray();
        Assert.That(values.All(v => v is 0f or 2f), Is.True);
        Assert.That(values.Count(v => v == 0f), Is.InRange(1800, 2200));
        y.sum().backward();
        Assert.That(x.grad!.data<float>().ToArray(), Is.EqualTo(values), "d(x · mask)/dx = mask");
        dropout.eval();
        using var passed = dropout.call(x);
        Assert.That(passed.equal(x).all().item<bool>(), Is.True);
    }
}
