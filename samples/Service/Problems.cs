using System.Text.Json;

namespace Parley.Samples.Service;

/// <summary>Writes RFC 7807 (RFC 9457) problem details: <c>application/problem+json</c>, with the offending field.</summary>
public static class Problems
{
    /// <summary>Writes a problem response; <paramref name="field"/> (e.g. <c>messages[1].role</c>) is added when known.</summary>
    public static async Task WriteAsync(HttpContext ctx, int status, string title, string detail, string? field)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/problem+json";
        using (var w = new Utf8JsonWriter(ctx.Response.BodyWriter, ChatHandlers.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("type"u8, TypeFor(status));
            w.WriteString("title"u8, title);
            w.WriteNumber("status"u8, status);
            w.WriteString("detail"u8, detail);
            w.WriteString("instance"u8, ctx.Request.Path.Value);
            if (field is not null)
            {
                w.WriteString("field"u8, field);
                w.WriteStartObject("errors"u8);
                w.WriteStartArray(field);
                w.WriteStringValue(detail);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted);
    }

    private static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        _ => "about:blank",
    };
}
