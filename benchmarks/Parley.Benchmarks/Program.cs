using BenchmarkDotNet.Running;

if (args is ["--jinja-check"])
{
    // Prints what the compiled Jinja workloads render, to compare with benchmarks/peers/jinja_*.
    Parley.Benchmarks.Jinja.JinjaCheck.Print();
    return;
}

if (args is ["--jinja-quick"])
{
    Parley.Benchmarks.Jinja.JinjaCheck.Quick();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
