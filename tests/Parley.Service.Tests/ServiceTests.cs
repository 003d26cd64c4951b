using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Parley.Samples.Service;

namespace Parley.Service.Tests;

/// <summary>
/// Starts the real service (Kestrel on 127.0.0.1, a free port) once, with the Phi-3 tokenizer from the shared fixtures
/// when they are present, and calls it over HTTP.
/// </summary>
[TestFixture]
public sealed class ServiceTests
{
    private const string SeedText =
        "<|system|>\nYou are a helpful AI assistant.<|end|>\n<|user|>\nWhat is the capital of Argentina?<|end|>\n<|assistant|>\nBuenos Aires.<|end|>\n<|endoftext|>";

    private const string SeedBody =
        """{"template":"phi3","messages":[{"role":"system","content":"You are a helpful AI assistant."},{"role":"user","content":"What is the capital of Argentina?"},{"role":"assistant","content":"Buenos Aires."}],"add_generation_prompt":false}""";

    private static string Phi3Tokenizer => Fixtures.Path("tokenizers", "phi-3-mini-4k-instruct");

    private WebApplication _app = null!;
    private WebApplication _bare = null!;
    private HttpClient _client = null!;
    private HttpClient _bareClient = null!;
    private bool _hasTokenizer;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _hasTokenizer = Directory.Exists(Fixtures.Root);
        string[] args = _hasTokenizer
            ? ["--urls", "http://127.0.0.1:0", "--tokenizer", Path.Combine(Fixtures.Root, "tokenizers", "phi-3-mini-4k-instruct")]
            : ["--urls", "http://127.0.0.1:0"];
        (_app, _client) = await StartAsync(args);
        (_bare, _bareClient) = await StartAsync(["--urls", "http://127.0.0.1:0"]);
    }

    private static async Task<(WebApplication, HttpClient)> StartAsync(string[] args)
    {
        WebApplication app = ServiceApp.Build(args);
        await app.StartAsync();
        string address = app.Urls.Single();
        Assert.That(new Uri(address).Port, Is.GreaterThan(0), address);
        return (app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(20) });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        _bareClient?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        if (_bare is not null) await _bare.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string? ContentType, JsonElement Json)> PostAsync(string path, string body, HttpClient? client = null)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await (client ?? _client).PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Test]
    public async Task Format_gives_the_seed_text_and_the_trainable_answer()
    {
        var (status, type, json) = await PostAsync("/v1/format", SeedBody);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(type, Is.EqualTo("application/json"));
        string text = json.GetProperty("text").GetString()!;
        Assert.That(text, Is.EqualTo(SeedText));
        JsonElement[] ranges = json.GetProperty("trainable").EnumerateArray().ToArray();
        Assert.That(ranges, Has.Length.EqualTo(1));
        int[] range = Ints(ranges[0]);
        Assert.That(text[range[0]..range[1]], Is.EqualTo("Buenos Aires.<|end|>\n<|endoftext|>"));
    }

    [Test]
    public async Task Format_defaults_to_phi3_and_chatml_adds_the_generation_prompt()
    {
        var (_, _, phi3) = await PostAsync("/v1/format", """{"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.That(phi3.GetProperty("text").GetString(), Is.EqualTo("<|user|>\nHi<|end|>\n<|endoftext|>"));

        var (status, _, chatml) = await PostAsync("/v1/format", """{"template":"ChatML","messages":[{"role":"user","content":"Hi"}],"add_generation_prompt":true}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(chatml.GetProperty("text").GetString(), Is.EqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
        Assert.That(chatml.GetProperty("trainable").GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task Tokenize_gives_the_reference_ids_and_labels_only_on_the_answer()
    {
        _ = Phi3Tokenizer; // ignores the test without the fixtures
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("reference", "expected_transformersjs_outputs.json")));
        int[] expectedIds = Ints(reference.RootElement.GetProperty("models").GetProperty("phi-3").GetProperty("chat_ids"));

        var (status, _, json) = await PostAsync("/v1/tokenize", SeedBody);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        int[] ids = Ints(json.GetProperty("input_ids"));
        int[] labels = Ints(json.GetProperty("labels"));
        Assert.That(ids, Is.EqualTo(expectedIds));
        int[] trained = [17882, 16981, 29889, 32007, 32000];
        int[] expectedLabels = [.. Enumerable.Repeat(-100, ids.Length - trained.Length), .. trained];
        Assert.That(labels, Is.EqualTo(expectedLabels));
    }

    [Test]
    public async Task Concurrent_tokenize_requests_share_one_tokenizer_and_agree()
    {
        _ = Phi3Tokenizer;
        var (_, _, single) = await PostAsync("/v1/tokenize", SeedBody);
        string expected = single.ToString();
        string[] bodies = Enumerable.Range(0, 48).Select(i => i % 2 == 0
            ? SeedBody
            : $$"""{"messages":[{"role":"user","content":"Question {{i}}: what is {{i}} + {{i}}?"},{"role":"assistant","content":"It is {{2 * i}}."}]}""").ToArray();
        var results = await Task.WhenAll(bodies.Select(b => PostAsync("/v1/tokenize", b)));
        for (int i = 0; i < bodies.Length; i++)
        {
            Assert.That(results[i].Status, Is.EqualTo(HttpStatusCode.OK));
            if (i % 2 == 0) Assert.That(results[i].Json.ToString(), Is.EqualTo(expected));
            else
            {
                var (_, _, again) = await PostAsync("/v1/tokenize", bodies[i]);
                Assert.That(results[i].Json.ToString(), Is.EqualTo(again.ToString()));
            }
        }
    }

    [TestCase("/v1/format")]
    [TestCase("/v1/tokenize")]
    public async Task Unknown_role_is_a_400_problem_naming_the_message(string path)
    {
        if (path == "/v1/tokenize") _ = Phi3Tokenizer;
        var (status, type, json) = await PostAsync(path, """{"messages":[{"role":"user","content":"Hi"},{"role":"bot","content":"Hello"}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(type, Is.EqualTo("application/problem+json"));
        Assert.That(json.GetProperty("status").GetInt32(), Is.EqualTo(400));
        Assert.That(json.GetProperty("field").GetString(), Is.EqualTo("messages[1].role"));
        Assert.That(json.GetProperty("detail").GetString(), Does.Contain("'bot'"));
        Assert.That(json.GetProperty("errors").TryGetProperty("messages[1].role", out _), Is.True);
        Assert.That(json.GetProperty("instance").GetString(), Is.EqualTo(path));
    }

    [Test]
    public async Task Bad_json_is_a_400_problem()
    {
        var (status, type, json) = await PostAsync("/v1/format", """{"messages": [ {"role": "user", """);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(type, Is.EqualTo("application/problem+json"));
        Assert.That(json.GetProperty("title").GetString(), Is.EqualTo("The request body is not valid."));
        Assert.That(json.GetProperty("detail").GetString(), Does.Contain("line 1"));

        var (status2, _, notJson) = await PostAsync("/v1/format", "hello");
        Assert.That(status2, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(notJson.GetProperty("detail").GetString(), Does.StartWith("The body is not valid JSON"));
    }

    [TestCase("""{"messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [TestCase("""{"messages":[{"content":"Hi"}]}""", "messages[0].role")]
    [TestCase("""{"messages":[{"role":"user","content":"Hi"},{"role":"assistant"}]}""", "messages[1].content")]
    [TestCase("""{"messages":[null]}""", "messages[0]")]
    [TestCase("""{"template":"phi3"}""", "messages")]
    [TestCase("""{"messages":"hi"}""", "messages")]
    [TestCase("""{"template":"llama9","messages":[]}""", "template")]
    [TestCase("""{"messages":[],"add_generation_prompt":"yes"}""", "add_generation_prompt")]
    public async Task Missing_or_mistyped_fields_are_named(string body, string field)
    {
        var (status, _, json) = await PostAsync("/v1/format", body);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), json.ToString());
        Assert.That(json.GetProperty("field").GetString(), Is.EqualTo(field));
    }

    [Test]
    public async Task A_body_over_one_mebibyte_is_413()
    {
        string content = new('a', (int)ServiceApp.DefaultMaxBodyBytes);
        var (status, type, json) = await PostAsync("/v1/format", $$"""{"messages":[{"role":"user","content":"{{content}}"}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(type, Is.EqualTo("application/problem+json"));
        Assert.That(json.GetProperty("status").GetInt32(), Is.EqualTo(413));
    }

    [Test]
    public async Task Tokenize_without_a_tokenizer_is_503_and_format_still_works()
    {
        var (status, type, _) = await PostAsync("/v1/tokenize", SeedBody, _bareClient);
        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(type, Is.EqualTo("application/problem+json"));
        var (ok, _, json) = await PostAsync("/v1/format", SeedBody, _bareClient);
        Assert.That(ok, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(json.GetProperty("text").GetString(), Is.EqualTo(SeedText));
    }

    [Test]
    public async Task Tokenize_rejects_a_template_whose_markers_the_tokenizer_lacks()
    {
        _ = Phi3Tokenizer;
        var (status, _, json) = await PostAsync("/v1/tokenize", """{"template":"chatml","messages":[{"role":"user","content":"Hi"}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.GetProperty("field").GetString(), Is.EqualTo("template"));
        Assert.That(json.GetProperty("detail").GetString(), Does.Contain("<|im_start|>"));
    }

    [Test]
    public async Task The_debug_endpoint_is_off_without_its_environment_variable()
    {
        if (Environment.GetEnvironmentVariable("PARLEY_SERVICE_DEBUG") == "1") Assert.Ignore("PARLEY_SERVICE_DEBUG is set");
        using HttpResponseMessage response = await _client.GetAsync("/debug/allocations");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}

/// <summary>Hostile requests and start-up options: 400 with the field, or one line at start-up (never an abort).</summary>
[TestFixture]
public sealed class ServiceBadInputTests
{
    [Test]
    public void A_bad_max_body_bytes_is_a_user_error_naming_the_option()
    {
        var e = Assert.Throws<Parley.ConfigException>(() => ServiceApp.Build(["--urls", "http://127.0.0.1:0", "--max-body-bytes", "abc"]))!;
        Assert.That(Parley.UserErrors.Describe(e), Is.EqualTo("--max-body-bytes: 'abc' is not a positive whole number of bytes (default 1048576)."));
        Assert.That(e.Field, Is.EqualTo("--max-body-bytes"));
    }

    [Test]
    public void A_bad_tokenizer_is_a_user_error_naming_the_file()
    {
        string folder = Directory.CreateTempSubdirectory("parley-service-").FullName;
        try
        {
            string file = Path.Combine(folder, "tokenizer.json");
            File.WriteAllText(file, "{}");
            var e = Assert.Catch(() => ServiceApp.Build(["--urls", "http://127.0.0.1:0", "--tokenizer", file]))!;
            Assert.That(Parley.UserErrors.IsUserError(e), Is.True, e.ToString());
            Assert.That(Parley.UserErrors.Describe(e), Is.EqualTo($"{file}: model: required field is missing."));

            var missing = Assert.Catch(() => ServiceApp.Build(["--urls", "http://127.0.0.1:0", "--tokenizer", Path.Combine(folder, "absent.json")]))!;
            Assert.That(Parley.UserErrors.IsUserError(missing), Is.True, missing.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public async Task A_duplicate_messages_key_is_refused_with_the_field()
    {
        WebApplication app = ServiceApp.Build(["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            const string body = """{"messages":[{"role":"user","content":"a"}],"messages":[{"role":"user","content":"b"}]}""";
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await client.PostAsync("/v1/format", content);
            using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(problem.RootElement.GetProperty("field").GetString(), Is.EqualTo("messages"));
            Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain("messages"));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
