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

    /// <summary>
    /// Reads every head's decoding parameters from a model's userDefined metadata, and checks them against the
    /// model's outputs (each head an output with anchors × (classes + 5) channels), so decoding cannot misread.
    /// </summary>
    public static ImmutableArray<HeadSpec> FromMetadata(ModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var meta = info.UserDefined;
        const string Hint = "convert the model with yolo4convert to get decodable metadata.";
        string Get(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new DarknetFormatException($"the model's metadata has no '{Echo.Of(key)}'; expected the keys yolo4convert writes.", null, Hint);
        DarknetFormatException Bad(string key, string expected) =>
            new($"the model's metadata has {Echo.Of(key)}='{Echo.Of(meta[key])}'; expected {expected}.", null, Hint);
        float Float(string key, string text) => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f)
            ? f : throw Bad(key, "finite numbers");
        var heads = ImmutableArray.CreateBuilder<HeadSpec>();
        foreach (var name in Get("heads").Split(','))
        {
            var p = $"head.{name}.";
            var type = Get(p + "type");
            if (type is not ("yolo" or "region"))
            {
                throw Bad(p + "type", "'yolo' or 'region'");
            }

            var classes = int.TryParse(Get(p + "classes"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c is >= 1 and <= 100_000
                ? c : throw Bad(p + "classes", "a class count from 1 to 100,000");
            ImmutableArray<float> anchors = [.. Get(p + "anchors").Split(',').Select(a => Float(p + "anchors", a))];
            if (anchors.Length % 2 != 0)
            {
                throw Bad(p + "anchors", "width,height pairs");
            }

            var head = new HeadSpec(
                name, type, classes, anchors,
                type == "yolo" ? Float(p + "scale_x_y", Get(p + "scale_x_y")) : 1f,
                type == "yolo" && Get(p + "new_coords") == "1",
                type == "region" && Get(p + "softmax") == "1");
            var output = info.Outputs.FirstOrDefault(o => o.Name == name);
            if (output.Name is null)
            {
                throw Bad("heads", $"names of the model's outputs ({string.Join(",", info.Outputs.Select(o => Echo.Of(o.Name)))}); '{Echo.Of(name)}' is none");
            }

            if (output.Shape.C != (long)head.AnchorCount * (classes + 5))
            {
                throw new DarknetFormatException(
                    $"output '{Echo.Of(name)}' has {output.Shape.C} channels, but its metadata describes {head.AnchorCount} anchors × (classes={classes} + 5).", null, Hint);
            }

            heads.Add(head);
        }

        return heads.ToImmutable();
    }
}
