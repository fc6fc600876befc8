using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>
/// Prints an error the one way a run prints errors: one line on stderr, or, when the run asked for <c>--json</c>,
/// one JSON object on stdout (<c>{"error": {"code", "message", "file", "line", "column", "offset"}}</c>) and nothing
/// else there. A stack trace (<c>--verbose</c>) always goes to stderr.
/// </summary>
internal sealed class ErrorReport(TextWriter stdout, TextWriter stderr, bool json, bool verbose)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the error and returns its exit code.</summary>
    public int Write(int code, string message, SourceLocation? location = null, Exception? exception = null)
    {
        if (json)
        {
            var error = new JsonError(
                code, message, location?.File,
                location is { Line: > 0 } ? location.Line : null,
                location is { Line: > 0, Column: > 0 } ? location.Column : null,
                location is { ByteOffset: >= 0 } ? location.ByteOffset : null);
            stdout.WriteLine(JsonSerializer.Serialize(new JsonEnvelope(error), Options));
        }
        else
        {
            stderr.WriteLine(message);
        }

        if (verbose && exception is not null)
        {
            stderr.WriteLine(exception.ToString());
        }

        return code;
    }

    private sealed record JsonEnvelope([property: JsonPropertyName("error")] JsonError Error);

    private sealed record JsonError(
        [property: JsonPropertyName("code")] int Code,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("file")] string? File,
        [property: JsonPropertyName("line")] int? Line,
        [property: JsonPropertyName("column")] int? Column,
        [property: JsonPropertyName("offset")] long? Offset);
}
