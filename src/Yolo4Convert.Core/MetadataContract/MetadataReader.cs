using System.Globalization;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.MetadataContract;

/// <summary>
/// Reads values of a model's userDefined metadata strictly: a missing required key or a value that does not parse
/// is a <see cref="ModelFormatException"/> naming the key, the value and the form expected (exit 2).
/// </summary>
internal sealed class MetadataReader(IReadOnlyDictionary<string, string> userDefined)
{
    private const string Hint = "convert the model with yolo4convert to get decodable metadata.";

    /// <summary>The raw text of a key, or null when it is absent.</summary>
    public string? Optional(string key) => userDefined.TryGetValue(key, out var v) ? v : null;

    /// <summary>The raw text of a key that must be present.</summary>
    public string Required(string key) => Optional(key)
        ?? throw new ModelFormatException($"the model's metadata has no '{Echo.Of(key)}'; expected the keys yolo4convert writes.", null, Hint);

    /// <summary>The error for a value of the wrong form.</summary>
    public ModelFormatException Bad(string key, string expected) =>
        new($"the model's metadata has {Echo.Of(key)}='{Echo.Of(Optional(key) ?? string.Empty)}'; expected {expected}.", null, Hint);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> (digits only).</summary>
    public int Int(string key, string text, int min, int max, string expected) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v : throw Bad(key, expected);

    /// <summary>An optional whole number; null when the key is absent.</summary>
    public int? OptionalInt(string key, int min, int max, string expected) =>
        Optional(key) is { } text ? Int(key, text, min, max, expected) : null;

    /// <summary>A finite float.</summary>
    public float Float(string key, string text) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f) ? f : throw Bad(key, "finite numbers");

    /// <summary>A finite double.</summary>
    public double Double(string key, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : throw Bad(key, "a finite number");

    /// <summary>"0" or "1".</summary>
    public bool Flag(string key) => Required(key) switch
    {
        "1" => true,
        "0" => false,
        _ => throw Bad(key, "'0' or '1'"),
    };
}
