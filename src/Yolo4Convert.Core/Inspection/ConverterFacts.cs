using System.Globalization;
using Yolo4Convert.CoreML;
using Yolo4Convert.MetadataContract;

namespace Yolo4Convert.Inspection;

/// <summary>
/// Reads the metadata keys yolo4convert writes (see CoreMLWriter and PipelineWriter) for display: leniently, a
/// value that does not parse is left out rather than refused (decoding checks them strictly, in ModelMetadata.Read).
/// </summary>
internal static class ConverterFacts
{
    public static ConverterMetadata? From(IReadOnlyDictionary<string, string> u)
    {
        if (!u.ContainsKey(MetadataKeys.Converter) && !u.ContainsKey(MetadataKeys.Heads))
        {
            return null;
        }

        string? S(string key) => u.TryGetValue(key, out var v) ? v : null;
        int? I(string key) => int.TryParse(S(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
        float? F(string key) => float.TryParse(S(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
        IReadOnlyList<T>? List<T>(string key, Func<string, T?> parse)
            where T : struct
        {
            var parts = S(key)?.Split(',').Select(parse).ToList();
            return parts is null || parts.Any(p => p is null) ? null : [.. parts.Select(p => p!.Value)];
        }

        var heads = (S(MetadataKeys.Heads) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(name =>
        {
            string P(string field) => MetadataKeys.Head(name, field);
            return new HeadMetadata(
                name, S(P(MetadataKeys.Type)), I(P(MetadataKeys.Layer)), I(P(MetadataKeys.Classes)), S(P(MetadataKeys.Grid)), I(P(MetadataKeys.Stride)),
                List<int>(P(MetadataKeys.Mask), t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null),
                List<float>(P(MetadataKeys.Anchors), t => float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null),
                F(P(MetadataKeys.ScaleXY)), S(P(MetadataKeys.NewCoords)) is { } nc ? nc == "1" : null);
        }).ToList();
        var names = S(ClassNamesMetadata.Key) is { } stored ? ClassNamesMetadata.Decode(stored) : null;
        var classes = heads.Select(h => h.Classes).FirstOrDefault(c => c is not null) ?? I(MetadataKeys.NmsClasses) ?? names?.Count;
        return new ConverterMetadata(S(MetadataKeys.Converter), I(MetadataKeys.InputWidth), I(MetadataKeys.InputHeight), S(MetadataKeys.InputResize), S(MetadataKeys.InputScale), classes, names, heads);
    }
}
