using System.Globalization;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Cli;

/// <summary>What `inspect` says about one layer: its JSON record (only the fields its kind has) and the text of a [yolo]/[region] row.</summary>
internal static class InspectLayerRecord
{
    public static Dictionary<string, object?> Json(ShapedNetwork shaped, Layer layer)
    {
        var record = new Dictionary<string, object?>
        {
            ["index"] = layer.Index,
            ["type"] = layer.Kind,
            ["line"] = layer.Source.Line,
            ["inputs"] = layer.Inputs,
            ["input"] = Shape(shaped.ShapeOf(layer.Inputs[0])),
            ["output"] = Shape(shaped.Shapes[layer.Index]),
        };
        switch (layer)
        {
            case ConvolutionalLayer c:
                record["filters"] = c.Filters;
                record["size"] = c.Size;
                record["stride"] = new[] { c.StrideX, c.StrideY };
                record["padding"] = c.Padding;
                record["groups"] = c.Groups;
                record["dilation"] = c.Dilation;
                record["batchNormalize"] = c.BatchNormalize;
                record["activation"] = ActivationNames.Name(c.Activation);
                break;
            case MaxPoolLayer m:
                record["size"] = m.Size;
                record["stride"] = new[] { m.StrideX, m.StrideY };
                record["padding"] = m.Padding;
                break;
            case RouteLayer r:
                record["groups"] = r.Groups;
                record["groupId"] = r.GroupId;
                break;
            case ShortcutLayer s:
                record["activation"] = ActivationNames.Name(s.Activation);
                break;
            case ScaleChannelsLayer sc:
                record["activation"] = ActivationNames.Name(sc.Activation);
                record["scaleWh"] = sc.ScaleWh;
                break;
            case SamLayer sam:
                record["activation"] = ActivationNames.Name(sam.Activation);
                break;
            case UpsampleLayer u:
                record["stride"] = new[] { u.Stride, u.Stride };
                record["scale"] = u.Scale;
                break;
            case ReorgLayer g:
                record["stride"] = new[] { g.Stride, g.Stride };
                break;
            case SoftmaxLayer sm:
                record["groups"] = sm.Groups;
                record["temperature"] = sm.Temperature;
                break;
            case YoloLayer y:
                record["classes"] = y.Classes;
                record["mask"] = y.Mask;
                record["anchors"] = MaskedAnchors(y).Select(a => new[] { a.W, a.H });
                record["scaleXY"] = y.ScaleXY;
                record["newCoords"] = y.NewCoords;
                break;
            case RegionLayer r:
                record["classes"] = r.Classes;
                record["num"] = r.Num;
                record["anchors"] = r.Anchors.Chunk(2).Select(a => a);
                record["softmax"] = r.Softmax;
                break;
        }

        record["bflops"] = shaped.BFlops(layer);
        record["weightFloats"] = shaped.WeightFloats(layer);
        return record;
    }

    /// <summary>The text after a head's row: its classes, mask, anchors (pixels for [yolo], cells for [region]) and scale_x_y.</summary>
    public static string HeadText(Layer layer) => layer switch
    {
        YoloLayer y => $"classes {y.Classes}, mask {string.Join(",", y.Mask)}, anchors {string.Join(" ", MaskedAnchors(y).Select(a => $"{N(a.W)},{N(a.H)}"))}, scale_x_y {N(y.ScaleXY)}{(y.NewCoords ? ", new_coords" : string.Empty)}",
        RegionLayer r => $"classes {r.Classes}, num {r.Num}, anchors {string.Join(" ", r.Anchors.Chunk(2).Select(a => $"{N(a[0])},{N(a[1])}"))}{(r.Softmax ? ", softmax" : string.Empty)}",
        _ => string.Empty,
    };

    private static IEnumerable<(float W, float H)> MaskedAnchors(YoloLayer y) => y.Mask.Select(m => (y.Anchors[2 * m], y.Anchors[(2 * m) + 1]));

    private static int[] Shape(TensorShape s) => [s.C, s.H, s.W];

    private static string N(float v) => v.ToString(CultureInfo.InvariantCulture);
}
