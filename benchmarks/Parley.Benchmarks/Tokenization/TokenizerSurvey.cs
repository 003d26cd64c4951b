using System.Diagnostics;
using System.Text;
using Parley.Tokenization;
using HfTokenizer = Tokenizers.DotNet.Tokenizer;

namespace Parley.Benchmarks.Tokenization;

/// <summary>
/// Load time and encode throughput on the eleven reference tokenizers (tests/reference/fetch-tokenizers.sh), Parley
/// beside HF's Rust tokenizers (Tokenizers.DotNet) and, for cl100k_base (GPT-3.5), Microsoft.ML.Tokenizers. A stopwatch
/// survey rather than a BenchmarkDotNet job: eleven files × three engines would take hours on BenchmarkDotNet.
/// Run: <c>dotnet run -c Release --project benchmarks/Parley.Benchmarks -- --tokenizer-survey [names…]</c>.
/// </summary>
internal static class TokenizerSurvey
{
    private static readonly string[] Names =
        ["claude", "deepseek_v3", "gemini", "gemma3", "gpt35turbo", "gpt4o", "gptoss", "llama2", "llama3", "llama3_1", "qwen3"];

    public static void Run(string[] only)
    {
        string cache = Environment.GetEnvironmentVariable("PARLEY_TOKENIZER_CACHE") is { Length: > 0 } env
            ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "parley", "tokenizers");
        string cacheDir = Directory.CreateTempSubdirectory("parley-survey-cache-").FullName;
        string[] texts = TokenizerCorpus.Get("mixed");
        double mb = texts.Sum(t => Encoding.UTF8.GetByteCount(t)) / 1e6;
        Console.WriteLine($"corpus: mixed, {texts.Length} documents, {mb:F3} MB; {Environment.ProcessorCount} cores");
        Console.WriteLine("| tokenizer | file MB | Parley load ms, JSON | Parley load ms, cached | HF Rust load ms | Parley 1 thread MB/s | Parley all cores MB/s | HF Rust 1 thread MB/s | ratio | ids equal HF Rust |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (string name in Names.Where(n => only.Length == 0 || only.Contains(n)))
        {
            string file = Path.Combine(cache, name, "tokenizer.json");
            if (!File.Exists(file)) { Console.WriteLine($"| {name} | (absent: run tests/reference/fetch-tokenizers.sh) |"); continue; }
            Environment.SetEnvironmentVariable("PARLEY_TOKENIZER_CACHE_DIR", "off");
            double json = BestLoad(file, 2);
            Environment.SetEnvironmentVariable("PARLEY_TOKENIZER_CACHE_DIR", cacheDir);
            ParleyTokenizer.FromTokenizerJson(file); // fills the cache
            double best = BestLoad(file, 3);
            ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(file);
            var hw = Stopwatch.StartNew();
            using var hf = new HfTokenizer(vocabPath: file);
            double hfLoad = hw.Elapsed.TotalMilliseconds;

            bool equal = true;
            foreach (string t in texts)
                if (!tok.EncodeToIds(t).AsSpan().SequenceEqual(hf.Encode(t).Select(x => (int)x).ToArray())) { equal = false; break; }

            double ours = Throughput(mb, () => { foreach (string t in texts) tok.EncodeToIds(t); });
            double batch = Throughput(mb, () => tok.EncodeBatchToIds(texts));
            double theirs = Throughput(mb, () => { foreach (string t in texts) hf.Encode(t); });
            Console.WriteLine($"| {name} | {new FileInfo(file).Length / 1e6:F1} | {json:F0} | {best:F0} | {hfLoad:F0} | {ours:F1} | {batch:F1} | {theirs:F1} | {ours / theirs:F1}× | {(equal ? "yes" : "NO")} |");
        }

        // Microsoft.ML.Tokenizers can serve cl100k_base (GPT-3.5) from its data package: compare it on the same corpus.
        var ml = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("cl100k_base");
        string gpt35 = Path.Combine(cache, "gpt35turbo", "tokenizer.json");
        if (File.Exists(gpt35) && (only.Length == 0 || only.Contains("gpt35turbo")))
        {
            ParleyTokenizer tok = ParleyTokenizer.FromTokenizerJson(gpt35);
            int differ = texts.Count(t => !tok.EncodeToIds(t, addSpecialTokens: false).AsSpan().SequenceEqual(ml.EncodeToIds(t).ToArray()));
            double mlSpeed = Throughput(mb, () => { foreach (string t in texts) ml.EncodeToIds(t); });
            Console.WriteLine($"Microsoft.ML.Tokenizers cl100k_base: {mlSpeed:F1} MB/s on 1 thread, {differ} of {texts.Length} documents differ from Parley's gpt35turbo ids");
        }
        Directory.Delete(cacheDir, recursive: true);
    }

    private static double BestLoad(string file, int times)
    {
        double best = double.MaxValue;
        for (int i = 0; i < times; i++)
        {
            GC.Collect();
            var w = Stopwatch.StartNew();
            ParleyTokenizer.FromTokenizerJson(file);
            best = Math.Min(best, w.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    // Warm pass (caches, JIT), then the best of three timed passes.
    private static double Throughput(double mb, Action pass)
    {
        pass();
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var w = Stopwatch.StartNew();
            pass();
            best = Math.Min(best, w.Elapsed.TotalSeconds);
        }
        return mb / best;
    }
}
