using System.Globalization;
using Yolo4Convert.CoreML;

namespace Yolo4Convert.Inspection;

/// <summary>
/// Reads the metadata keys yolo4convert writes (see CoreMLWriter and PipelineWriter) for display: leniently, a
/// value that does not parse is left out rather than refused (decoding checks them strictly, in HeadSpec).
/// </summary>
internal static class ConverterFacts
{
    public static ConverterMetadata? From(IReadOnlyDictionary<string, string> u)
    {
        if (!u.ContainsKey("converter") && !u.ContainsKey("heads"))
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

        var heads = (S("heads") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(name =>
        {
            var p = $"head.{name}.";
            return new HeadMetadata(
                name, S(p + "type"), I(p + "layer"), I(p + "classes"), S(p + "grid"), I(p + "stride"),
                List<int>(p + "mask", t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null),
                List<float>(p + "anchors", t => float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null),
                F(p + "scale_x_y"), S(p + "new_coords") is { } nc ? nc == "1" : null);
        }).ToList();
        var names = S(ClassNamesMetadata.Key) is { } stored ? ClassNamesMetadata.Decode(stored) : null;
        var classes = heads.Select(h => h.Classes).FirstOrDefault(c => c is not null) ?? I("nms.classes") ?? names?.Count;
        return new ConverterMetadata(S("converter"), I("input.width"), I("input.height"), S("input.resize"), S("input.scale"), classes, names, heads);
    }
}
