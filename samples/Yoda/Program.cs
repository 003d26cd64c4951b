using Parley.Samples.Yoda;
using Spectre.Console;

// The seed chapter end to end, offline, on CPU: the project's Yoda-style pairs, GPT-2's tokenizer given OPT's
// special tokens, the seed's custom template with its special response token, BFD packing, and QLoRA on a tiny Llama.
// Options: --output DIR (default ./out), --data FILE, --tokenizer FILE, --model PATH, --steps N, --device cpu|cuda.
try
{
    YodaOptions options = YodaOptions.Parse(args) with { Progress = !Console.IsOutputRedirected };
    if (args.Contains("--no-progress")) options = options with { Progress = false };
    new YodaPipeline(options, AnsiConsole.Console).Run();
    return 0;
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or Parley.Data.DatasetException)
{
    Console.Error.WriteLine($"yoda: {e.Message}");
    return 1;
}
