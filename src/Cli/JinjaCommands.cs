using System.CommandLine;
using System.Text.Json;

namespace Parley.Cli;

/// <summary><c>parley render</c> and <c>parley check</c>: Jinja chat templates compiled at run time.</summary>
internal static class JinjaCommands
{
    public static Command Render(TextWriter stdout)
    {
        var template = new Option<string>("--template") { Description = "A built-in Jinja template (qwen3, llama3.1, gemma3, deepseek-v3), a tokenizer_config.json (its chat_template, bos_token, eos_token) or a .jinja file.", Required = true };
        var vars = new Option<string>("--vars") { Description = "A JSON file with the variables: messages (any fields), tools, documents, add_generation_prompt, custom flags.", Required = true };
        var command = new Command("render", """
            Renders a model's Jinja chat template exactly as HF transformers' apply_chat_template does (interpreted; built-in templates run compiled).
            Example: parley render --template Qwen3/tokenizer_config.json --vars conversation.json
            """)
        { template, vars };
        command.SetAction(parse =>
        {
            string varsPath = parse.GetValue(vars)!;
            if (!File.Exists(varsPath)) throw new FileNotFoundException($"--vars '{varsPath}': no such file.", varsPath);
            using JsonDocument variables = ParseJson(varsPath);
            Func<JsonElement, string> render = Resolvers.Renderer(parse.GetValue(template)!);
            stdout.Write(render(variables.RootElement));
            return ParleyCli.Ok;
        });
        return command;
    }

    public static Command Check(TextWriter stdout)
    {
        var file = new Argument<string>("file") { Description = "A tokenizer_config.json or a .jinja file." };
        var command = new Command("check", """
            Checks a Jinja chat template as the build does: syntax, unknown filters/tests/functions, unsupported features
            (errors), and names read but never defined (warnings), each with its line and column. Exit code 1 on an error.
            Example: parley check tokenizer_config.json
            """)
        { file };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var (problems, hasErrors) = JinjaTemplateLoader.Check(path);
            foreach (string problem in problems) stdout.WriteLine(problem);
            if (!hasErrors) stdout.WriteLine($"{path}: ok");
            return hasErrors ? ParleyCli.BadInput : ParleyCli.Ok;
        });
        return command;
    }

    private static JsonDocument ParseJson(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CliInputException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message}");
        }

        if (FirstBadString(document.RootElement, "$") is { } field)
        {
            document.Dispose();
            throw new CliInputException($"{path}: {field}: the string holds an unpaired UTF-16 surrogate escape (e.g. \"\\ud800\"), which is not text; remove it or write the whole character.");
        }

        return document;
    }

    /// <summary>The path of the first string (value or property name) that is not valid UTF-16, or null.</summary>
    private static string? FirstBadString(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                try { element.GetString(); } catch (InvalidOperationException) { return path; }
                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (FirstBadString(item, $"{path}[{i++}]") is { } bad) return bad;
                }

                return null;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; } catch (InvalidOperationException) { return path + ".(a property name)"; }
                    if (FirstBadString(property.Value, $"{path}.{name}") is { } bad) return bad;
                }

                return null;
            default:
                return null;
        }
    }
}
