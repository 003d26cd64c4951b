// Parley as a service: POST /v1/format and /v1/tokenize over the compiled built-in templates.
//   dotnet run -c Release --project samples/Service -- --urls http://127.0.0.1:5080 --tokenizer path/to/tokenizer.json
// A bad option or tokenizer is one line and exit code 1 (not an unhandled-exception abort, exit 134).
try
{
    Parley.Samples.Service.ServiceApp.Build(args).Run();
    return 0;
}
catch (Exception e) when (Parley.UserErrors.IsUserError(e))
{
    Console.Error.WriteLine($"parley-service: {Parley.UserErrors.Describe(e)}");
    return Parley.UserErrors.ExitBadInput;
}
