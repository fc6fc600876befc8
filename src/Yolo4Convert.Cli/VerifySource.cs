using Yolo4Convert.Darknet;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>
/// Checks, before anything runs, that a model was converted from the cfg `verify` was given: the input channels, the
/// number of heads, and for each head its Darknet layer (from the model's metadata), class count and shape.
/// A mismatch is one error naming what differs (exit 2), never a failed lookup later.
/// </summary>
internal static class VerifySource
{
    /// <summary>Throws a <see cref="DarknetFormatException"/> naming the first difference between the model and the cfg.</summary>
    public static void Check(ModelInfo info, IReadOnlyList<string> headNames, ShapedNetwork shaped, string cfgPath)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(headNames);
        ArgumentNullException.ThrowIfNull(shaped);
        var cfgName = Path.GetFileName(cfgPath);
        var source = info.UserDefined.TryGetValue("source.cfg", out var s) ? $" (the model says it was converted from '{Echo.Of(s)}')" : string.Empty;
        var hint = $"pass the cfg the model was converted from{source}.";
        var location = new SourceLocation(cfgPath);
        DarknetFormatException Differs(string what) => new($"the model was not converted from this cfg: {what}.", location, hint);

        var network = shaped.Network;
        var channels = info.Grayscale ? 1 : 3;
        if (channels != network.Net.Channels)
        {
            throw Differs($"the model's input has {channels} channel{(channels == 1 ? string.Empty : "s")}, {cfgName} says channels={network.Net.Channels}");
        }

        var cfgHeads = network.Heads.ToList();
        var heads = HeadSpec.FromMetadata(info).ToDictionary(h => h.OutputName);
        var layers = string.Join(", ", cfgHeads.Select(h => h.Index));
        if (headNames.Count != cfgHeads.Count)
        {
            throw Differs($"the model has {headNames.Count} head{(headNames.Count == 1 ? string.Empty : "s")}, {cfgName} has {cfgHeads.Count} (layers {layers})");
        }

        foreach (var name in headNames)
        {
            var index = VerifyComparison.LayerOf(info, name);
            var head = cfgHeads.FirstOrDefault(h => h.Index == index);
            if (head is null)
            {
                var what = index >= 0 && index < network.Layers.Length
                    ? $"layer {index} of {cfgName} is [{network.Layers[index].Kind}] (line {network.Layers[index].Source.Line})"
                    : $"{cfgName} has {network.Layers.Length} layers";
                throw Differs($"head '{Echo.Of(name)}' comes from layer {index} by the model's metadata, but {what}; the cfg's heads are layers {layers}");
            }

            if (heads.TryGetValue(name, out var spec) && spec.Classes != head.Classes)
            {
                throw Differs($"head '{Echo.Of(name)}' has {spec.Classes} classes, layer {index} [{head.Kind}] of {cfgName} (line {head.Source.Line}) has classes={head.Classes}");
            }

            var expected = shaped.Shapes[head.Inputs[0]];
            var output = info.Outputs.FirstOrDefault(o => o.Name == name);
            if (output.Name is not null && output.Shape != expected)
            {
                throw Differs($"head '{Echo.Of(name)}' is {output.Shape}, layer {index} [{head.Kind}] of {cfgName} (line {head.Source.Line}) takes {expected}");
            }
        }
    }
}
