using Parley.Samples.Yoda;
using Spectre.Console;

// The seed chapter end to end, offline, on CPU: the project's Yoda-style pairs, GPT-2's tokenizer given OPT's
// special tokens, the seed's custom template with its special response token, BFD packing, and QLoRA on a tiny Llama.
// Options: --output DIR (default ./out), --data FILE, --tokenizer FILE, --model PATH, --steps N, --device cpu|cuda.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(YodaOptions.Help);
    return 0;
}

try
{
    YodaOptions options = YodaOptions.Parse(args) with { Progress = !Console.IsOutputRedirected };
    if (args.Contains("--no-progress")) options = options with { Progress = false };
    // Piped or redirected: no hard wrap at 80 columns (a log keeps each step on one line).
    IAnsiConsole console = AnsiConsole.Console;
    if (Console.IsOutputRedirected) console.Profile.Width = 100_000;
    new YodaPipeline(options, console).Run();
    return 0;
}
catch (Exception e) when (Parley.UserErrors.IsUserError(e))
{
    Console.Error.WriteLine($"yoda: {Parley.UserErrors.Describe(e)}");
    return Parley.UserErrors.ExitBadInput;
}
