using Parley.Templates;
using Parley.Tokenization;

namespace Parley.Cli;

/// <summary>Turns command-line names into templates and tokenizers.</summary>
internal static class Resolvers
{
    /// <summary>A built-in template by name, or a tokenizer_config.json / .jinja file compiled at run time.</summary>
    public static IChatTemplate Template(string name)
    {
        if (name.Equals("yoda", StringComparison.OrdinalIgnoreCase)) return YodaPromptCompletion.Instance;
        if (BuiltInTemplates.Find(name) is { } builtIn) return builtIn;
        if (File.Exists(name)) return JinjaTemplateLoader.Load(name, JinjaMode.Compiled);
        throw new CliInputException($"--template '{name}': not a built-in template ({TemplateNames}) nor a tokenizer_config.json or .jinja file.");
    }

    /// <summary>The built-in template names, as help and errors list them.</summary>
    public static string TemplateNames => string.Join(", ", [.. BuiltInTemplates.Names, "yoda"]);

    /// <summary>Fails unless <paramref name="tokenizer"/> has every special token <paramref name="template"/> writes as one token.</summary>
    /// <exception cref="TokenizerRuleException">A token would be split; names it and the fix in the tool's terms.</exception>
    public static void RequireFit(IChatTemplate template, ParleyTokenizer tokenizer) =>
        Labels.TemplateTokenFit.Require(template.Info, tokenizer,
            "Pass the --tokenizer made for this template (e.g. the model's tokenizer.json), or a --template made for this tokenizer.");

    /// <summary>A tokenizer.json (or its folder), a SentencePiece .model, or a tiktoken encoding name (gpt2, cl100k_base).</summary>
    public static ParleyTokenizer Tokenizer(string spec)
    {
        if (spec is "gpt2" or "cl100k_base")
        {
            return ParleyTokenizer.FromTiktoken(spec);
        }

        if (spec.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
        {
            return ParleyTokenizer.FromSentencePiece(spec);
        }

        if (!File.Exists(spec) && !Directory.Exists(spec))
        {
            throw new FileNotFoundException($"--tokenizer '{spec}': no such file or folder (give a tokenizer.json, its folder, a SentencePiece .model, or gpt2/cl100k_base).", spec);
        }

        return ParleyTokenizer.FromTokenizerJson(spec);
    }

    /// <summary>
    /// The full-variable-model renderer (<c>Render(JsonElement)</c>) of a built-in Jinja template by name, or of a
    /// tokenizer_config.json / .jinja file, interpreted (one rendering: compiling would cost more than it saves).
    /// </summary>
    public static Func<System.Text.Json.JsonElement, string> Renderer(string name)
    {
        IChatTemplate? builtIn = BuiltInTemplates.Find(name);
        if (builtIn is not null)
        {
            return builtIn switch
            {
                _ when ReferenceEquals(builtIn, Qwen3.Instance) => Qwen3.Render,
                _ when ReferenceEquals(builtIn, Llama31.Instance) => Llama31.Render,
                _ when ReferenceEquals(builtIn, Gemma3.Instance) => Gemma3.Render,
                _ when ReferenceEquals(builtIn, DeepSeekV3.Instance) => DeepSeekV3.Render,
                _ => throw new CliInputException($"--template '{name}': a structured built-in template has no Jinja variable model; render takes qwen3, llama3.1, gemma3, deepseek-v3, or a tokenizer_config.json or .jinja file."),
            };
        }

        return JinjaTemplateLoader.Load(name, JinjaMode.Interpreted).Render;
    }

    /// <summary>Prompt/completion rows become a user and an assistant message; pre-formatted text cannot be re-templated; an empty conversation is empty.</summary>
    public static ChatMessage[] Messages(Data.DatasetExample row, string file) => row.Format switch
    {
        Data.DatasetFormat.Conversational => row.Messages!,
        Data.DatasetFormat.PromptCompletion => [ChatMessage.User(row.Prompt!), ChatMessage.Assistant(row.Completion!)],
        _ => throw new CliInputException($"{file}: line {row.Line}: the row is pre-formatted text; a template applies to messages or prompt/completion rows."),
    };
}
