using System.Text.Encodings.Web;
using System.Text.Json;

namespace Yolo4Convert.CoreML;

/// <summary>
/// The metadata key "classes": the class names as a compact JSON array (<c>["person","bicycle"]</c>), so a name
/// may hold commas. Models written before this store them comma-separated; <see cref="Decode"/> reads both.
/// </summary>
public static class ClassNamesMetadata
{
    /// <summary>The metadata key.</summary>
    public const string Key = "classes";

    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON array text for <paramref name="names"/>.</summary>
    public static string Encode(IReadOnlyList<string> names) => JsonSerializer.Serialize(names, Options);

    /// <summary>The names of a stored value: a JSON array of strings, or else the old comma-separated form.</summary>
    public static IReadOnlyList<string> Decode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.StartsWith('['))
        {
            try
            {
                if (JsonSerializer.Deserialize<string?[]>(value) is { } names && names.All(n => n is not null))
                {
                    return names!;
                }
            }
            catch (JsonException)
            {
                // Not JSON: an old comma-separated list whose first name starts with '['.
            }
        }

        return value.Split(',');
    }
}
