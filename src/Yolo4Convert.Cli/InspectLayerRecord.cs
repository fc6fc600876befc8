using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Cli;

/// <summary>What `inspect` prints about one layer: its JSON record (only the fields its kind has) and its table row.</summary>
internal static class InspectLayerRecord
{
    /// <summary>The table's header, matching <see cref="Row"/>.</summary>
    public const string Header = "layer  type            filters  size/stride      input              output             BFLOPs";

    public static Dictionary<string, object?> Json(LayerFacts facts)
    {
        var layer = facts.Layer;
        var record = new Dictionary<string, object?>
        {
            ["index"] = layer.Index,
            ["type"] = layer.Kind,
            ["line"] = layer.Source.Line,
            ["inputs"] = layer.Inputs,
            ["input"] = Shape(facts.Input),
            ["output"] = Shape(facts.Output),
        };
        foreach (var (name, value) in facts.Settings)
        {
            record[name] = value;
        }

        record["bflops"] = facts.BFlops;
        record["weightFloats"] = facts.WeightFloats;
        return record;
    }

    /// <summary>The layer's row of the text table; a head's row ends with its classes, mask and anchors.</summary>
    public static string Row(LayerFacts facts)
    {
        var bflops = facts.BFlops > 0 ? CommonOptions.F(facts.BFlops) : string.Empty;
        var row = $"{facts.Layer.Index,5}  {facts.Type,-15} {facts.Filters,7}  {facts.Geometry,-15}  {Dims(facts.Input),-17} -> {Dims(facts.Output),-17}  {bflops,7}";
        return facts.HeadText is null ? row : $"{row}  {facts.HeadText}";
    }

    private static int[] Shape(TensorShape s) => [s.C, s.H, s.W];

    private static string Dims(TensorShape s) => $"{s.W} x {s.H} x {s.C}";
}
