using System.Collections.Immutable;
using System.Globalization;
using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.CoreML;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Inspection;

/// <summary>
/// Describes a .mlmodel, a NeuralNetwork model or a --nms pipeline: read once by <see cref="ModelStreamReader"/>,
/// each layer's weights counted by size and dropped as it comes, never decoded.
/// </summary>
internal static class CoreMLInspector
{
    public static ModelInspection Inspect(Stream stream, string fileName)
    {
        var tally = new CoreMLWeightTally();
        Model model;
        try
        {
            model = ModelStreamReader.Read(stream, fileName, layer =>
            {
                tally.Add(layer);
                CoreMLWeightTally.Drop(layer);
            });
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelFormatException($"the file is not a valid .mlmodel ({ex.Message}).", new SourceLocation(fileName),
                "the file is damaged or truncated; convert the model again.");
        }

        var where = new SourceLocation(fileName);
        if (model.SpecificationVersion <= 0)
        {
            throw new ModelFormatException("the model has no specificationVersion; this is not a Core ML model.", where);
        }

        var description = model.Description ?? throw new ModelFormatException("the model has no description (the file may be truncated).", where,
            "convert the model again.");
        var (format, formatText, networks, nms) = model.TypeCase switch
        {
            Model.TypeOneofCase.NeuralNetwork => ("neuralNetwork", "NeuralNetwork .mlmodel", (IReadOnlyList<NeuralNetwork>)[model.NeuralNetwork], null),
            Model.TypeOneofCase.Pipeline => Pipeline(model, where),
            _ => throw new UnsupportedFeatureException(
                $"the model is a '{model.TypeCase}' model; inspect reads NeuralNetwork models and pipelines of them.", where),
        };
        if (model.TypeCase == Model.TypeOneofCase.Pipeline)
        {
            foreach (var layer in networks.SelectMany(n => n.Layers))
            {
                tally.Add(layer);
            }
        }

        var layers = networks.SelectMany(n => n.Layers).ToList();
        var meta = description.Metadata ?? new Metadata();
        var userDefined = meta.UserDefined.ToImmutableSortedDictionary(StringComparer.Ordinal);
        var weights = tally.Groups();
        return new ModelInspection(
            fileName, format, formatText, stream.CanSeek ? stream.Length : -1,
            model.SpecificationVersion, CoreMLVersions.MinimumOs(model.SpecificationVersion),
            [.. description.Input.Select(Feature)], [.. description.Output.Select(Feature)],
            new ModelStrings(Text(meta.Author), Text(meta.License), Text(meta.ShortDescription), Text(meta.VersionString), null, null),
            ConverterFacts.From(userDefined),
            nms,
            layers.Count,
            [.. layers.GroupBy(TypeOf).Select(g => new LayerTypeCount(g.Key, g.Count())).OrderByDescending(c => c.Count).ThenBy(c => c.Type, StringComparer.Ordinal)],
            [.. layers.Where(l => l.LayerCase == NeuralNetworkLayer.LayerOneofCase.Custom).GroupBy(l => l.Custom.ClassName)
                .Select(g => new CustomLayerCount(g.Key, g.Count(), g.First().Custom.Description)).OrderBy(c => c.ClassName, StringComparer.Ordinal)],
            weights, weights.Sum(w => w.Bytes), userDefined);
    }

    private static (string, string, IReadOnlyList<NeuralNetwork>, NmsStage?) Pipeline(Model model, SourceLocation where)
    {
        var stages = model.Pipeline.Models;
        var networks = stages.Where(s => s.TypeCase == Model.TypeOneofCase.NeuralNetwork).Select(s => s.NeuralNetwork).ToList();
        var suppression = stages.FirstOrDefault(s => s.TypeCase == Model.TypeOneofCase.NonMaximumSuppression)?.NonMaximumSuppression;
        if (networks.Count == 0 || stages.Any(s => s.TypeCase is not (Model.TypeOneofCase.NeuralNetwork or Model.TypeOneofCase.NonMaximumSuppression)))
        {
            throw new UnsupportedFeatureException(
                $"the pipeline's stages are [{string.Join(", ", stages.Select(s => s.TypeCase))}]; inspect reads pipelines of NeuralNetwork and NonMaximumSuppression models.", where);
        }

        if (suppression is null)
        {
            return ("pipeline", $"pipeline ({networks.Count} networks) .mlmodel", networks, null);
        }

        return ("pipeline", "pipeline (network + NMS) .mlmodel", networks, NmsStageOf(model, suppression));
    }

    /// <summary>The suppression settings of a pipeline's NMS stage, its labels and the pipeline's optional threshold inputs.</summary>
    internal static NmsStage NmsStageOf(Model model, NonMaximumSuppression suppression)
    {
        var optional = model.Description?.Input.Where(i => i.Type?.IsOptional == true).Select(i => i.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var thresholdInputs = new[] { suppression.IouThresholdInputFeatureName, suppression.ConfidenceThresholdInputFeatureName }
            .Where(n => n.Length > 0 && optional.Contains(n)).ToList();
        var labels = suppression.ClassLabelsCase == NonMaximumSuppression.ClassLabelsOneofCase.StringClassLabels
            ? suppression.StringClassLabels.Vector.ToList()
            : [.. suppression.Int64ClassLabels?.Vector.Select(v => v.ToString(CultureInfo.InvariantCulture)) ?? []];
        var boxes = model.Description?.Metadata?.UserDefined.TryGetValue(MetadataKeys.NmsBoxes, out var b) == true
            && int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : (int?)null;
        return new NmsStage(suppression.IouThreshold, suppression.ConfidenceThreshold, suppression.PickTop?.PerClass ?? false, boxes, labels, thresholdInputs);
    }

    internal static ModelFeature Feature(FeatureDescription f)
    {
        var type = f.Type ?? new FeatureType();
        var optional = type.IsOptional;
        switch (type.TypeCase)
        {
            case FeatureType.TypeOneofCase.ImageType:
                var image = type.ImageType;
                var colour = image.ColorSpace switch
                {
                    ImageFeatureType.Types.ColorSpace.Rgb => "RGB",
                    ImageFeatureType.Types.ColorSpace.Bgr => "BGR",
                    ImageFeatureType.Types.ColorSpace.Grayscale => "grayscale",
                    _ => "invalid",
                };
                return new ModelFeature(f.Name, "image", image.Width, image.Height, colour, null, [], null, optional, f.ShortDescription);
            case FeatureType.TypeOneofCase.MultiArrayType:
                var array = type.MultiArrayType;
                var dataType = array.DataType switch
                {
                    ArrayFeatureType.Types.ArrayDataType.Float32 => "float32",
                    ArrayFeatureType.Types.ArrayDataType.Double => "double",
                    ArrayFeatureType.Types.ArrayDataType.Int32 => "int32",
                    _ => "invalid",
                };
                var range = array.ShapeFlexibilityCase == ArrayFeatureType.ShapeFlexibilityOneofCase.ShapeRange
                    ? "[" + string.Join(", ", array.ShapeRange.SizeRanges.Select(r => r.LowerBound == (ulong)r.UpperBound ? $"{r.LowerBound}" : $"{r.LowerBound}..{(r.UpperBound < 0 ? "*" : r.UpperBound.ToString(CultureInfo.InvariantCulture))}")) + "]"
                    : null;
                return new ModelFeature(f.Name, "multiArray", null, null, null, dataType, [.. array.Shape.Select(d => (long?)d)], range, optional, f.ShortDescription);
            case FeatureType.TypeOneofCase.DoubleType:
                return new ModelFeature(f.Name, "double", null, null, null, null, [], null, optional, f.ShortDescription);
            case FeatureType.TypeOneofCase.Int64Type:
                return new ModelFeature(f.Name, "int64", null, null, null, null, [], null, optional, f.ShortDescription);
            default:
                return new ModelFeature(f.Name, "unknown", null, null, null, null, [], null, optional, f.ShortDescription);
        }
    }

    // convolution, pooling …; activations by function: "activation (leakyReLU)".
    private static string TypeOf(NeuralNetworkLayer layer) => layer.LayerCase == NeuralNetworkLayer.LayerOneofCase.Activation
        ? $"activation ({Camel(layer.Activation.NonlinearityTypeCase.ToString())})"
        : Camel(layer.LayerCase.ToString());

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    internal static string? Text(string value) => value.Length > 0 ? value : null;
}
