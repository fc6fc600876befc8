using System.Collections.Immutable;
using System.Globalization;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Detection;

/// <summary>How to decode one raw head, read back from the model's metadata (never hard-coded).</summary>
public sealed record HeadSpec(
    string OutputName, string Type, int Classes, ImmutableArray<float> Anchors, float ScaleXY, bool NewCoords, bool Softmax)
{
    /// <summary>Anchor boxes of this head: pixels for [yolo], grid cells for [region].</summary>
    public int AnchorCount => Anchors.Length / 2;

    /// <summary>Reads every head's decoding parameters from a model's userDefined metadata.</summary>
    public static ImmutableArray<HeadSpec> FromMetadata(ModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var meta = info.UserDefined;
        string Get(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new DarknetFormatException($"the model's metadata has no '{key}'; expected the keys yolo4convert writes.", null,
                "convert the model with yolo4convert to get decodable metadata.");
        var heads = ImmutableArray.CreateBuilder<HeadSpec>();
        foreach (var name in Get("heads").Split(','))
        {
            var p = $"head.{name}.";
            var type = Get(p + "type");
            heads.Add(new HeadSpec(
                name, type,
                int.Parse(Get(p + "classes"), CultureInfo.InvariantCulture),
                [.. Get(p + "anchors").Split(',').Select(a => float.Parse(a, CultureInfo.InvariantCulture))],
                type == "yolo" ? float.Parse(Get(p + "scale_x_y"), CultureInfo.InvariantCulture) : 1f,
                type == "yolo" && Get(p + "new_coords") == "1",
                type == "region" && Get(p + "softmax") == "1"));
        }

        return heads.ToImmutable();
    }
}
