using System.Text.Json.Serialization;

namespace Parley.Samples.Service;

/// <summary>The body of <c>POST /v1/format</c> and <c>POST /v1/tokenize</c>.</summary>
public sealed class ChatRequest
{
    /// <summary>A built-in template name (<c>BuiltInTemplates.Names</c>: <c>phi3</c>, <c>chatml</c>, <c>qwen3</c>, <c>llama3.1</c>, <c>gemma3</c>, <c>deepseek-v3</c>); null means <c>phi3</c>.</summary>
    public string? Template { get; set; }

    /// <summary>The conversation.</summary>
    public MessageDto?[]? Messages { get; set; }

    /// <summary>HF's <c>add_generation_prompt</c>.</summary>
    public bool AddGenerationPrompt { get; set; }

    /// <summary>Tokenize only: let the tokenizer's post-processor add its tokens (e.g. BOS). HF's <c>apply_chat_template</c> does not (default false).</summary>
    public bool AddSpecialTokens { get; set; }
}

/// <summary>One message: <c>{"role": ..., "content": ...}</c>.</summary>
public sealed class MessageDto
{
    /// <summary>The role (<c>system</c>, <c>user</c>, <c>assistant</c>).</summary>
    public string? Role { get; set; }

    /// <summary>The text.</summary>
    public string? Content { get; set; }
}

/// <summary>Source-generated (de)serialization metadata: the service never reflects over its DTOs.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, GenerationMode = JsonSourceGenerationMode.Metadata, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(ChatRequest))]
public sealed partial class ServiceJsonContext : JsonSerializerContext;
