using Parley.Training.Models;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training;

public class Stories260KTests
{
    private static string ModelPath => Fixtures.Path("models", "stories260K", "stories260K.bin");

    private static (int[] Ids, float[] BosLogits) Expected()
    {
        var lines = File.ReadAllLines(Fixtures.Path("models", "stories260K", "expected_greedy_ids_200.txt"));
        var ids = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var logits = lines.Single(l => l.StartsWith("logits_bos_first8:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (ids, logits);
    }

    [Test]
    public void Header_is_read_as_the_readme_describes()
    {
        var config = Llama2cLoader.ReadConfig(ModelPath);
        Assert.That(
            (config.HiddenSize, config.IntermediateSize, config.NumLayers, config.NumHeads, config.NumKeyValueHeads, config.VocabSize, config.MaxPositionEmbeddings, config.TieWordEmbeddings),
            Is.EqualTo((64, 172, 5, 8, 4, 512, 512, true)));
    }

    [Test]
    public void Logits_at_bos_match_run_c()
    {
        var (_, expected) = Expected();
        using var model = Llama2cLoader.Load(ModelPath, CPU);
        using var noGrad = no_grad();
        using var logits = model.call(tensor(new long[] { 1 }, [1, 1]), null, null);
        var first8 = logits[0, 0, ..8].data<float>().ToArray();
        Assert.That(first8, Is.EqualTo(expected).Within(1e-4f));
    }

    [Test]
    public void Greedy_generation_from_bos_reproduces_run_c_for_200_tokens()
    {
        var (expected, _) = Expected();
        using var model = Llama2cLoader.Load(ModelPath, CPU);
        var ids = GreedyGenerator.Generate(model, [1], maxNewTokens: 200);
        Assert.That(ids, Is.EqualTo(expected));
    }

    [Test]
    public void A_truncated_file_is_rejected_with_its_name_and_sizes()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"parley-truncated-{Guid.NewGuid():N}.bin");
        try
        {
            var bytes = File.ReadAllBytes(ModelPath);
            File.WriteAllBytes(copy, bytes[..^100]);
            Assert.That(() => Llama2cLoader.Load(copy), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains(copy).And.Message.Contains("implies 1056540"));
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
