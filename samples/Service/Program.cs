// Parley as a service: POST /v1/format and /v1/tokenize over the compiled built-in templates.
//   dotnet run -c Release --project samples/Service -- --urls http://127.0.0.1:5080 --tokenizer path/to/tokenizer.json
Parley.Samples.Service.ServiceApp.Build(args).Run();
