using System.Text.Json;
using Parley.Tokenization;

namespace Parley.Samples.Service;

/// <summary>
/// Builds the service: Kestrel on the URLs given with <c>--urls</c> (default <c>http://127.0.0.1:5080</c>), the built-in
/// compiled templates, and one tokenizer loaded at start-up from <c>--tokenizer PATH</c> and shared by every request.
/// </summary>
/// <remarks>
/// Options (command line or configuration): <c>--urls</c>, <c>--tokenizer</c> (a <c>tokenizer.json</c> or its folder;
/// without it <c>/v1/tokenize</c> answers 503), <c>--max-body-bytes</c> (default 1 MiB; larger bodies get 413).
/// With the environment variable <c>PARLEY_SERVICE_DEBUG=1</c>, <c>GET /debug/allocations</c> reports the bytes the
/// process has allocated and the requests it has served, for measuring allocations per request.
/// </remarks>
public static class ServiceApp
{
    /// <summary>The default request body limit: 1 MiB.</summary>
    public const long DefaultMaxBodyBytes = 1 << 20;

    /// <summary>Builds the application without starting it (tests add <c>http://127.0.0.1:0</c> and start it).</summary>
    public static WebApplication Build(string[] args)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://127.0.0.1:5080");

        long maxBody = DefaultMaxBodyBytes;
        if (builder.Configuration["max-body-bytes"] is { } text
            && (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out maxBody) || maxBody < 1))
        {
            throw new ConfigException(null, "--max-body-bytes", $"'{text}' is not a positive whole number of bytes (default {DefaultMaxBodyBytes}).");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxBody;
        });

        ParleyTokenizer? tokenizer = null;
        if (builder.Configuration["tokenizer"] is { Length: > 0 } path)
        {
            // Encoding is thread-safe (immutable vocabulary and merges, a concurrent piece cache, per-thread scratch):
            // one instance serves every request. It must not be changed (tokens added) after this point.
            tokenizer = ParleyTokenizer.FromTokenizerJson(path);
        }

        var handlers = new ChatHandlers(tokenizer);
        builder.Services.AddSingleton(handlers);

        WebApplication app = builder.Build();
        app.MapPost("/v1/format", (RequestDelegate)handlers.FormatAsync);
        app.MapPost("/v1/tokenize", (RequestDelegate)handlers.TokenizeAsync);
        app.MapGet("/healthz", (RequestDelegate)(ctx => ctx.Response.WriteAsync("ok")));
        if (Environment.GetEnvironmentVariable("PARLEY_SERVICE_DEBUG") == "1")
            app.MapGet("/debug/allocations", (RequestDelegate)handlers.AllocationsAsync);
        return app;
    }
}
