using System.Text.Json;

namespace Parley.Data;

/// <summary>Turns one row's mapped fields into a <see cref="DatasetExample"/>, detecting the format on the first good row.</summary>
internal sealed class RowInterpreter
{
    private readonly DatasetReadOptions _options;
    private readonly string _file;

    public RowInterpreter(DatasetReadOptions options, string file)
    {
        _options = options;
        _file = file;
        Format = options.Format;
    }

    /// <summary>The format in force (<see cref="DatasetFormat.Auto"/> until the first good row).</summary>
    public DatasetFormat Format { get; private set; }

    public DatasetException Error(long line, long row, string? field, string problem, Exception? inner = null) =>
        new(_file, line, row, field, problem, inner);

    private DatasetFormat Resolve(IReadOnlyCollection<string> columns, Func<string, bool> has, long line, long row)
    {
        if (Format != DatasetFormat.Auto) return Format;
        if (has("messages") || has("conversations")) return DatasetFormat.Conversational;
        if (has("prompt") && has("completion")) return DatasetFormat.PromptCompletion;
        if (has(_options.TextColumn)) return DatasetFormat.Text;
        throw Error(line, row, null,
            $"The format cannot be detected from the columns [{string.Join(", ", columns)}]: expected 'messages' or 'conversations' (a conversation), " +
            $"'prompt' and 'completion' (an instruction pair), or '{_options.TextColumn}' (pre-formatted text). " +
            "Map your columns to these names with DatasetReadOptions.Columns (e.g. Rename(\"question\", \"prompt\")), set TextColumn, or set Format.");
    }

    public DatasetExample FromJson(Dictionary<string, JsonElement> fields, long line, long row)
    {
        var format = Resolve(fields.Keys, fields.ContainsKey, line, row);
        var example = format switch
        {
            DatasetFormat.Conversational => new DatasetExample { Format = format, Row = row, Line = line, Messages = Messages(fields, line, row) },
            DatasetFormat.PromptCompletion => new DatasetExample
            {
                Format = format, Row = row, Line = line,
                Prompt = JsonString(fields, "prompt", line, row),
                Completion = JsonString(fields, "completion", line, row),
            },
            _ => new DatasetExample { Format = format, Row = row, Line = line, Text = JsonString(fields, _options.TextColumn, line, row) },
        };
        Format = format;
        return example;
    }

    public DatasetExample FromStrings(Dictionary<string, string> fields, long line, long row)
    {
        var format = Resolve(fields.Keys, fields.ContainsKey, line, row);
        string Get(string name) => fields.TryGetValue(name, out var value)
            ? value
            : throw Error(line, row, name, $"The column '{name}' is missing (this file's rows are {format}).");
        var example = format switch
        {
            DatasetFormat.Conversational => throw Error(line, row, fields.ContainsKey("messages") ? "messages" : "conversations",
                "Conversations need nested messages, which a flat CSV cannot hold: store them as JSONL (one {\"messages\": [...]} per line) or Parquet."),
            DatasetFormat.PromptCompletion => new DatasetExample { Format = format, Row = row, Line = line, Prompt = Get("prompt"), Completion = Get("completion") },
            _ => new DatasetExample { Format = format, Row = row, Line = line, Text = Get(_options.TextColumn) },
        };
        Format = format;
        return example;
    }

    private string JsonString(Dictionary<string, JsonElement> fields, string name, long line, long row)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            throw Error(line, row, name, $"The field '{name}' is missing (this file's rows are {Format switch { DatasetFormat.Auto => "detected from the first row", var f => f.ToString() }}).");
        }
        return value.ValueKind == JsonValueKind.String
            ? Text(value, line, row, name)
            : throw Error(line, row, name, $"The field must be a string; it is {Describe(value)}.");
    }

    /// <summary>A JSON string as .NET text; an escaped lone surrogate (<c>"\ud800"</c>) is no text and names its field.</summary>
    private string Text(JsonElement value, long line, long row, string field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw Error(line, row, field, "The string holds an unpaired UTF-16 surrogate escape (e.g. \"\\ud800\" without its low half), which is not text. Remove it or write the whole character.", e);
        }
    }

    private ChatMessage[] Messages(Dictionary<string, JsonElement> fields, long line, long row)
    {
        bool shareGpt = !fields.ContainsKey("messages");
        string name = shareGpt ? "conversations" : "messages";
        if (!fields.TryGetValue(name, out var list))
        {
            throw Error(line, row, "messages", "The field 'messages' (or 'conversations') is missing; this file's rows are conversations.");
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw Error(line, row, name, $"The field must be an array of messages; it is {Describe(list)}.");
        }
        string roleKey = shareGpt ? "from" : "role";
        string contentKey = shareGpt ? "value" : "content";
        var messages = new ChatMessage[list.GetArrayLength()];
        int i = 0;
        foreach (var message in list.EnumerateArray())
        {
            string at = $"{name}[{i}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw Error(line, row, at, $"A message must be an object with '{roleKey}' and '{contentKey}'; it is {Describe(message)}.");
            }
            if (!message.TryGetProperty(roleKey, out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw Error(line, row, $"{at}.{roleKey}", $"The message's '{roleKey}' is missing or not a string.");
            }
            string roleName = Text(role, line, row, $"{at}.{roleKey}");
            if (!_options.Roles.TryGetValue(roleName, out var mapped))
            {
                throw Error(line, row, $"{at}.{roleKey}",
                    $"The role '{roleName}' is unknown; known roles: {string.Join(", ", _options.Roles.Keys)}. Add it to DatasetReadOptions.Roles if the template supports it.");
            }
            string? content = null;
            if (message.TryGetProperty(contentKey, out var text))
            {
                content = text.ValueKind switch
                {
                    JsonValueKind.String => Text(text, line, row, $"{at}.{contentKey}"),
                    JsonValueKind.Null => null,
                    _ => throw Error(line, row, $"{at}.{contentKey}", $"The message's '{contentKey}' must be a string or null; it is {Describe(text)} (multimodal content parts are not supported)."),
                };
            }
            else
            {
                throw Error(line, row, $"{at}.{contentKey}", $"The message's '{contentKey}' is missing.");
            }
            messages[i++] = new ChatMessage(mapped, content);
        }
        return messages;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}
