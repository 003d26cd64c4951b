using System.Text;
using System.Text.Json;
using Parley.Runtime.Tests.Tokenization.Reference;
using Parley.Tokenization;
using Parley.Tokenization.Unicode;

namespace Parley.Runtime.Tests.Tokenization;

/// <summary>
/// Parley's own NFC/NFD/NFKC/NFKD and lowercase against Python's unicodedata (tests/reference/normalization-cases.json),
/// and against ICU on every code point when ICU is loaded. CI runs the suite again with
/// <c>DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1</c>; these results must not change.
/// </summary>
[TestFixture]
public class UnicodeNormalizationTests
{
    private static readonly Lazy<JsonDocument> Cases = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Reference("normalization-cases.json"))));

    [TestCase("nfc")]
    [TestCase("nfd")]
    [TestCase("nfkc")]
    [TestCase("nfkd")]
    public void Forms_match_python_unicodedata(string field)
    {
        NormalizationKind form = Enum.Parse<NormalizationKind>(field, ignoreCase: true);
        TestContext.Progress.WriteLine($"globalization: {RepositoryFiles.GlobalizationMode}");
        var failures = new List<string>();
        int n = 0;
        foreach (JsonElement c in Cases.Value.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!, expected = c.GetProperty(field).GetString()!;
            string got = UnicodeNormalization.Normalize(text, form);
            if (got != expected) failures.Add($"{Hex(text)} → {Hex(got)}, expected {Hex(expected)}");
            n++;
        }
        Assert.That(n, Is.GreaterThan(400));
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }

    [Test]
    public void Lowercase_matches_rust_char_to_lowercase()
    {
        var lower = new LowercaseNormalizer();
        var failures = new List<string>();
        foreach (JsonElement c in Cases.Value.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!, expected = c.GetProperty("lower").GetString()!;
            string got = lower.TryNormalize(text, out NormalizedText n) ? n.Text : text;
            if (got != expected) failures.Add($"{Hex(text)} → {Hex(got)}, expected {Hex(expected)}");
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
        Assert.That(lower.TryNormalize("\u0130X", out NormalizedText turkish), Is.True);
        Assert.That(turkish.Text, Is.EqualTo("i\u0307x"));
        Assert.That(turkish.Map, Is.EqualTo(new[] { 0, 1, 1, 2 }));
    }

    [Test]
    public void Every_code_point_matches_icu_when_icu_is_loaded()
    {
        if (!RepositoryFiles.IcuNormalizes) Assert.Ignore("ICU is not loaded (invariant globalization): the Python reference cases cover this mode.");
        var failures = new List<string>();
        var forms = new[] { (NormalizationKind.Nfc, NormalizationForm.FormC), (NormalizationKind.Nfd, NormalizationForm.FormD),
                            (NormalizationKind.Nfkc, NormalizationForm.FormKC), (NormalizationKind.Nfkd, NormalizationForm.FormKD) };
        int skipped = 0;
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            string s = char.ConvertFromUtf32(cp);
            try { _ = s.Normalize(); }
            catch (ArgumentException) { skipped++; continue; } // .NET refuses noncharacters (U+FFFE …) before ICU sees them
            foreach (var (ours, theirs) in forms)
            {
                string expected = s.Normalize(theirs), got = UnicodeNormalization.Normalize(s, ours);
                if (got != expected) failures.Add($"{ours} U+{cp:X4} → {Hex(got)}, ICU {Hex(expected)}");
            }
        }
        Assert.That(failures, Is.Empty, $"{failures.Count} differ:\n" + string.Join("\n", failures.Take(10)));
        Assert.That(skipped, Is.LessThan(100), "only noncharacters are refused by .NET");
    }

    [Test]
    public void Segments_that_change_map_back_to_their_input_span()
    {
        Assert.That(UnicodeNormalization.TryNormalize("cafe\u0301!", NormalizationKind.Nfc, out NormalizedText n), Is.True);
        Assert.That(n.Text, Is.EqualTo("caf\u00e9!"));
        Assert.That(n.Map, Is.EqualTo(new[] { 0, 1, 2, 3, 5, 6 }));
        Assert.That(UnicodeNormalization.TryNormalize("\ufb01!", NormalizationKind.Nfkc, out NormalizedText fi), Is.True);
        Assert.That(fi.Text, Is.EqualTo("fi!"));
        Assert.That(fi.Map, Is.EqualTo(new[] { 0, 1, 1, 2 }));
        Assert.That(UnicodeNormalization.TryNormalize("caf\u00e9", NormalizationKind.Nfc, out _), Is.False, "already NFC");
        Assert.That(UnicodeNormalization.TryNormalize("a\ud800b", NormalizationKind.Nfd, out _), Is.False, "a lone surrogate passes through");
    }

    [Test]
    public void Qwen3_encodes_a_decomposed_e_acute_as_the_composed_one_in_every_globalization_mode()
    {
        ParleyTokenizer qwen = TokenizerFixtures.Shared("qwen3");
        int[] composed = qwen.EncodeToIds("caf\u00e9", addSpecialTokens: false);
        Assert.That(qwen.EncodeToIds("cafe\u0301", addSpecialTokens: false), Is.EqualTo(composed), RepositoryFiles.GlobalizationMode);
        Assert.That(qwen.Decode(composed), Is.EqualTo("caf\u00e9"));
    }

    private static string Hex(string s)
    {
        var sb = new StringBuilder();
        foreach (Rune r in s.EnumerateRunes()) sb.Append(sb.Length == 0 ? "" : " ").Append(r.Value.ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
        return $"[{sb}]";
    }
}
