using System.Buffers;
using System.Collections.Frozen;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Parley.Labels;
using Parley.Templates;
using Parley.Tokenization;

namespace Parley.Samples.Service;

/// <summary>The request handlers. One instance serves every request; everything it holds is read-only or thread-safe.</summary>
public sealed class ChatHandlers
{
    private const string DefaultTemplate = "phi3";

    private readonly FrozenDictionary<string, TemplateEntry> _templates;
    private readonly ParleyTokenizer? _tokenizer;
    private long _requests;

    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    private static readonly ArrayBufferWriter<byte> Detached = new(1);

    /// <summary>JSON for an API, not for HTML: <c>&lt;|end|&gt;</c> stays readable instead of <c>\u003C|end|\u003E</c>.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Creates the handlers for the built-in templates and an optional shared tokenizer.</summary>
    public ChatHandlers(ParleyTokenizer? tokenizer)
    {
        _tokenizer = tokenizer;
        var entries = new Dictionary<string, TemplateEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in BuiltInTemplates.Names)
        {
            IChatTemplate template = BuiltInTemplates.Find(name)!;
            entries[name] = new TemplateEntry(name, template, tokenizer);
        }
        _templates = entries.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary><c>POST /v1/format</c>: messages → <c>{"text": ..., "trainable": [[start, end], ...]}</c>.</summary>
    public async Task FormatAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _requests);
        Parsed? parsed = await ParseAsync(ctx);
        if (parsed is not { } p) return;
        ChatMessage[] messages = p.Messages;
        char[]? buffer = null;
        TextRange[]? trainable = null;
        try
        {
            var options = new FormatOptions { AddGenerationPrompt = p.Request.AddGenerationPrompt };
            ReadOnlySpan<ChatMessage> chat = messages.AsSpan(0, p.Count);
            IChatTemplate template = p.Template.Template;
            int length = template.GetMaxLength(chat, options);
            buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, length));
            trainable = ArrayPool<TextRange>.Shared.Rent(p.Count + 1);
            if (!template.TryFormat(chat, buffer, out int written, options, trainable, out int trainableCount))
                throw new InvalidOperationException($"Template '{template.Info.Name}' wrote past its own GetMaxLength ({length}).");

            ctx.Response.ContentType = "application/json";
            Utf8JsonWriter w = Rent(ctx.Response.BodyWriter);
            w.WriteStartObject();
            w.WriteString("text"u8, buffer.AsSpan(0, written));
            w.WriteStartArray("trainable"u8);
            foreach (TextRange range in trainable.AsSpan(0, trainableCount))
            {
                w.WriteStartArray();
                w.WriteNumberValue(range.Start);
                w.WriteNumberValue(range.End);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            Return(w);
        }
        catch (TemplateException e)
        {
            await Problems.WriteAsync(ctx, StatusCodes.Status400BadRequest, "The template cannot format this conversation.", e.Message, FieldOf(e));
            return;
        }
        finally
        {
            ArrayPool<ChatMessage>.Shared.Return(messages, clearArray: true);
            if (buffer is not null) ArrayPool<char>.Shared.Return(buffer);
            if (trainable is not null) ArrayPool<TextRange>.Shared.Return(trainable);
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
    }

    /// <summary><c>POST /v1/tokenize</c>: messages → <c>{"input_ids": [...], "labels": [...]}</c> (labels -100 where not trained).</summary>
    public async Task TokenizeAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _requests);
        if (_tokenizer is null)
        {
            await Problems.WriteAsync(ctx, StatusCodes.Status503ServiceUnavailable, "No tokenizer is loaded.",
                "Start the service with --tokenizer PATH (a tokenizer.json or its folder) to use /v1/tokenize.", null);
            return;
        }
        Parsed? parsed = await ParseAsync(ctx);
        if (parsed is not { } p) return;
        try
        {
            TemplateEntry entry = p.Template;
            if (entry.MissingTokens is { } missing)
            {
                await Problems.WriteAsync(ctx, StatusCodes.Status400BadRequest, "The tokenizer does not fit this template.",
                    $"Template '{entry.Name}' needs the special tokens {missing}, which the service's tokenizer ({_tokenizer.Source}) lacks as single tokens.", "template");
                return;
            }
            ConversationEncoder encoder = p.Request.AddSpecialTokens ? entry.EncoderWithSpecialTokens! : entry.Encoder!;
            var options = new FormatOptions { AddGenerationPrompt = p.Request.AddGenerationPrompt };
            EncodedConversation row;
            try
            {
                row = encoder.Encode(p.Messages.AsSpan(0, p.Count), options);
            }
            catch (TemplateException e)
            {
                await Problems.WriteAsync(ctx, StatusCodes.Status400BadRequest, "The template cannot format this conversation.", e.Message, FieldOf(e));
                return;
            }

            ctx.Response.ContentType = "application/json";
            Utf8JsonWriter w = Rent(ctx.Response.BodyWriter);
            w.WriteStartObject();
            w.WriteStartArray("input_ids"u8);
            foreach (int id in row.Ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("labels"u8);
            foreach (int label in row.Labels) w.WriteNumberValue(label);
            w.WriteEndArray();
            w.WriteEndObject();
            Return(w);
        }
        finally
        {
            ArrayPool<ChatMessage>.Shared.Return(p.Messages, clearArray: true);
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
    }

    /// <summary><c>GET /debug/allocations</c> (only with <c>PARLEY_SERVICE_DEBUG=1</c>): bytes allocated so far and requests served.</summary>
    public Task AllocationsAsync(HttpContext ctx)
    {
        ctx.Response.ContentType = "application/json";
        Utf8JsonWriter w = Rent(ctx.Response.BodyWriter);
        w.WriteStartObject();
        w.WriteNumber("allocated_bytes"u8, GC.GetTotalAllocatedBytes(precise: true));
        w.WriteNumber("requests"u8, Interlocked.Read(ref _requests));
        w.WriteNumber("gen0_collections"u8, GC.CollectionCount(0));
        w.WriteNumber("gen1_collections"u8, GC.CollectionCount(1));
        w.WriteNumber("gen2_collections"u8, GC.CollectionCount(2));
        w.WriteEndObject();
        Return(w);
        return ctx.Response.BodyWriter.FlushAsync().AsTask();
    }

    private readonly record struct Parsed(ChatRequest Request, TemplateEntry Template, ChatMessage[] Messages, int Count);

    /// <summary>Reads and validates the body; on failure writes the problem details and returns null.</summary>
    private async Task<Parsed?> ParseAsync(HttpContext ctx)
    {
        ChatRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(ctx.Request.BodyReader, ServiceJsonContext.Default.ChatRequest, ctx.RequestAborted);
        }
        catch (JsonException e)
        {
            string? field = FieldOf(e.Path);
            string where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            string detail = field is null
                ? $"The body is not valid JSON{where}: {FirstSentence(e.Message)}"
                : $"The field '{field}' has the wrong type or is malformed{where}: {FirstSentence(e.Message)}";
            await Problems.WriteAsync(ctx, StatusCodes.Status400BadRequest, "The request body is not valid.", detail, field);
            return null;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            long? limit = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            await Problems.WriteAsync(ctx, StatusCodes.Status413PayloadTooLarge, "The request body is too large.",
                $"The body exceeds the limit of {limit} bytes (--max-body-bytes).", null);
            return null;
        }

        if (request is null)
            return await Invalid(ctx, "The body must be a JSON object, not null.", null);

        TemplateEntry? entry;
        string name = request.Template ?? DefaultTemplate;
        if (!_templates.TryGetValue(name, out entry))
        {
            // Aliases that BuiltInTemplates.Find knows (e.g. "phi-3") map onto the same entries.
            IChatTemplate? found = BuiltInTemplates.Find(name);
            entry = found is null ? null : _templates.Values.FirstOrDefault(t => ReferenceEquals(t.Template, found));
            if (entry is null)
                return await Invalid(ctx, $"Unknown template '{name}'. Known templates: {string.Join(", ", BuiltInTemplates.Names)}.", "template");
        }

        if (request.Messages is not { } dtos)
            return await Invalid(ctx, "The field 'messages' is required: an array of {\"role\", \"content\"} objects.", "messages");

        ChatMessage[] messages = ArrayPool<ChatMessage>.Shared.Rent(Math.Max(1, dtos.Length));
        for (int i = 0; i < dtos.Length; i++)
        {
            string? problem = null, field = null;
            if (dtos[i] is not { } m) (problem, field) = ($"Message {i} is null; expected an object with 'role' and 'content'.", $"messages[{i}]");
            else if (m.Role is null) (problem, field) = ($"Message {i} has no 'role'.", $"messages[{i}].role");
            else if (m.Content is null) (problem, field) = ($"Message {i} has no 'content'.", $"messages[{i}].content");
            if (problem is not null)
            {
                ArrayPool<ChatMessage>.Shared.Return(messages, clearArray: true);
                return await Invalid(ctx, problem, field);
            }
            messages[i] = new ChatMessage(dtos[i]!.Role!, dtos[i]!.Content);
        }
        return new Parsed(request, entry, messages, dtos.Length);
    }

    private static async Task<Parsed?> Invalid(HttpContext ctx, string detail, string? field)
    {
        await Problems.WriteAsync(ctx, StatusCodes.Status400BadRequest, "The request body is not valid.", detail, field);
        return null;
    }

    /// <summary>A JSON path such as <c>$.messages[1].role</c> as the field name <c>messages[1].role</c>; null for the root.</summary>
    internal static string? FieldOf(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$") return null;
        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
    }

    private static string? FieldOf(TemplateException e) => UserErrors.FieldOf(e);

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends " Path: $... | LineNumber: ..." to its messages; the problem body carries those separately.
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static Utf8JsonWriter Rent(IBufferWriter<byte> output)
    {
        Utf8JsonWriter? w = t_writer;
        if (w is null) return new Utf8JsonWriter(output, WriterOptions);
        t_writer = null;
        w.Reset(output);
        return w;
    }

    private static void Return(Utf8JsonWriter w)
    {
        w.Flush();
        w.Reset(Detached);
        t_writer = w;
    }

    private sealed class TemplateEntry
    {
        public TemplateEntry(string name, IChatTemplate template, ParleyTokenizer? tokenizer)
        {
            Name = name;
            Template = template;
            if (tokenizer is null) return;
            string[] missing = template.Info.SpecialTokens.Where(t => tokenizer.TokenToId(t) is null).ToArray();
            MissingTokens = missing.Length == 0 ? null : string.Join(", ", missing);
            Encoder = new ConversationEncoder(template, tokenizer, addSpecialTokens: false);
            EncoderWithSpecialTokens = new ConversationEncoder(template, tokenizer, addSpecialTokens: true);
        }

        public string Name { get; }
        public IChatTemplate Template { get; }
        public string? MissingTokens { get; }
        public ConversationEncoder? Encoder { get; }
        public ConversationEncoder? EncoderWithSpecialTokens { get; }
    }
}
