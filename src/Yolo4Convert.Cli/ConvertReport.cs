using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;

namespace Yolo4Convert.Cli;

/// <summary>What a conversion prints once its outputs are written: one line per file, or one JSON object.</summary>
internal sealed class ConvertReport(
    ConvertTargets targets,
    ShapedNetwork shaped,
    CoreMLWriterOptions options,
    IReadOnlyList<HeadDescription> heads,
    ConvertWritten written,
    int mishLayers,
    double seconds,
    Func<FileInfo, long> size)
{
    /// <summary>The `--json` report, with the run's <paramref name="warnings"/>.</summary>
    public object Json(IReadOnlyList<IReadOnlyDictionary<string, object>> warnings)
    {
        var (kerasResult, pipeline, result) = written;
        var nms = targets.Nms;
        return new
        {
            output = targets.Output.ToString(),
            bytes = size(targets.Output),
            darknetLayers = shaped.Network.Layers.Length,
            coreML = result is null ? null : new
            {
                specificationVersion = pipeline?.SpecificationVersion ?? result.SpecificationVersion,
                layers = result.LayerCount,
                customLayers = result.CustomLayerCount,
                mish = mishLayers == 0 ? null : MishChoice.Name(options.Mish),
                input = new { name = options.InputName, width = shaped.Network.Net.Width, height = shaped.Network.Net.Height },
                heads = result.Heads.Select(h => new { name = h.OutputName, shape = new[] { h.Shape.C, h.Shape.H, h.Shape.W }, stride = h.Stride, layer = h.Head.Layer }),
                nms = pipeline is null ? null : NmsCommandOptions.Json(pipeline.Boxes, pipeline.Classes, nms!, pipeline.Labels),
                weights = new
                {
                    precision = PrecisionOptions.Format(options.Precision),
                    quantization = PrecisionOptions.QuantizationName(options),
                    keptInFloat = result.Weights?.KeptInFloat(options.Quantization).Select(l => new { layer = l.LayerName, weights = l.Weights, format = l.Format }),
                },
            },
            keras = kerasResult is null ? null : new
            {
                file = targets.Keras!.ToString(),
                bytes = size(targets.Keras),
                layers = kerasResult.LayerCount,
                weightedLayers = kerasResult.WeightedLayerCount,
                outputs = kerasResult.Outputs,
                customClasses = kerasResult.CustomClasses,
            },
            seconds,
            warnings,
        };
    }

    /// <summary>The text report: a line for the Keras file, a line for the .mlmodel, and with --verbose the weights per layer.</summary>
    public void Text(TextWriter stdout, bool verbose)
    {
        var (kerasResult, pipeline, result) = written;
        var outputsText = string.Join(" ", heads.Select(h => $"{h.OutputName}[{h.Shape.C}x{h.Shape.H}x{h.Shape.W}]"));
        if (kerasResult is not null)
        {
            var custom = kerasResult.CustomClasses.Count > 0 ? $" (custom: {string.Join(", ", kerasResult.CustomClasses)})" : string.Empty;
            stdout.WriteLine(
                $"wrote {targets.Keras}: {shaped.Network.Layers.Length} Darknet layers -> {kerasResult.LayerCount} Keras layers{custom}, " +
                $"{CommonOptions.Mb(size(targets.Keras!))}, outputs {string.Join(" ", kerasResult.Outputs)} (NHWC){(result is null ? $", {CommonOptions.F(seconds, "0.00")} s" : string.Empty)}");
        }

        if (result is not null)
        {
            var custom = MishChoice.Summary(options.Mish, mishLayers, result.CustomLayerCount, options.MishClassName);
            stdout.WriteLine(
                $"wrote {targets.Output}: {shaped.Network.Layers.Length} Darknet layers -> {result.LayerCount} Core ML layers{custom}, " +
                $"spec {pipeline?.SpecificationVersion ?? result.SpecificationVersion} ({OsFor(pipeline?.SpecificationVersion ?? result.SpecificationVersion)}), {CommonOptions.Mb(size(targets.Output))}{PrecisionOptions.Summary(options, result.Weights)}, " +
                $"{(pipeline is null ? "outputs " + outputsText : NmsCommandOptions.Describe(pipeline))}, {CommonOptions.F(seconds, "0.00")} s");
            if (verbose)
            {
                foreach (var line in PrecisionOptions.VerboseLines(options, result.Weights))
                {
                    stdout.WriteLine(line);
                }
            }
        }
    }

    // "iOS 11.2+": the iOS half of the one table of spec versions.
    private static string OsFor(int version) => Inspection.CoreMLVersions.MinimumOs(version).Split(" / ")[0] + "+";
}
