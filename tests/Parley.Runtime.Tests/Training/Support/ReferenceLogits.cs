using System.Text.Json;
using Parley.Training.Models;
using static TorchSharp.torch;

namespace Parley.Runtime.Tests.Training.Support;

/// <summary>
/// Compares a model's logits with an <c>expected.json</c> written by a reference script in <c>benchmarks/peers/</c>:
/// each case gives input ids, an optional attention mask and position ids, and the reference logits.
/// </summary>
internal static class ReferenceLogits
{
    /// <summary>The folder of a committed tiny checkpoint under <c>Training/Data</c>.</summary>
    public static string Folder(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Training", "Data", name);

    private static long[] Flat(JsonElement rows) => rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(x => x.GetInt64())).ToArray();

    /// <summary>Asserts every logit of every case within <paramref name="tolerance"/>, except padded query rows (HF
    /// gives them a fully masked softmax, Parley lets them see themselves); returns the worst difference.</summary>
    public static double AssertMatch(CausalLanguageModel model, string folder, float tolerance = 1e-5f)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        using var noGrad = no_grad();
        double worst = 0;
        foreach (var testCase in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var name = testCase.GetProperty("name").GetString();
            var shape = testCase.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            long[] batch = [shape[0], shape[1]];
            using var ids = tensor(Flat(testCase.GetProperty("input_ids")), batch);
            var maskValues = testCase.TryGetProperty("attention_mask", out var m) ? Flat(m) : null;
            using var mask = maskValues is null ? null : tensor(maskValues, batch);
            using var positions = testCase.TryGetProperty("position_ids", out var p) ? tensor(Flat(p), batch) : null;
            using var logits = model.call(ids, positions, mask);
            Assert.That(logits.shape, Is.EqualTo(shape), name);
            var actual = logits.data<float>().ToArray();
            var expected = testCase.GetProperty("logits").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var vocab = (int)shape[2];
            for (var token = 0; token < actual.Length / vocab; token++)
            {
                if (maskValues is not null && maskValues[token] == 0)
                {
                    continue;
                }
                for (var v = 0; v < vocab; v++)
                {
                    var i = token * vocab + v;
                    worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
                    Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance), $"{name}: token {token}, logit {v}");
                }
            }
        }
        TestContext.Out.WriteLine($"{Path.GetFileName(folder)}: max |Parley - PyTorch| = {worst:E2}");
        return worst;
    }
}
