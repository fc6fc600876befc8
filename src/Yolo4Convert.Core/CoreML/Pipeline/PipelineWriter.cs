using System.Globalization;
using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Passes;

namespace Yolo4Convert.CoreML.Pipeline;

/// <summary>Options of the non-maximum suppression stage of a detector pipeline.</summary>
public sealed record NmsOptions
{
    /// <summary>Default IoU above which a weaker box of the same class is suppressed (Darknet's 0.45).</summary>
    public double IouThreshold { get; init; } = 0.45;

    /// <summary>Default lowest confidence a box needs to be kept.</summary>
    public double ConfidenceThreshold { get; init; } = 0.25;
}

/// <summary>What a pipeline write produced.</summary>
public sealed record PipelineWriteResult(
    int SpecificationVersion, CoreMLWriteResult Network, int Boxes, int Classes, IReadOnlyList<string> Labels, bool LabelsFromNames);

/// <summary>
/// Writes a Vision-ready detector: a Core ML pipeline (Model.pipeline) of the NeuralNetwork (Darknet body plus a
/// decoder built from spec-1 layers, see <see cref="DecoderLowering"/>) and a nonMaximumSuppression model. Inputs:
/// the image and the optional double thresholds <c>iouThreshold</c> / <c>confidenceThreshold</c>; outputs:
/// <c>confidence</c> (boxes × classes) and <c>coordinates</c> (boxes × 4). The NMS stage's arrays are DOUBLE, which
/// keeps the whole pipeline at specification version 3 (iOS 12); FLOAT32 would need 5.
/// </summary>
public sealed class PipelineWriter
{
    /// <summary>Pipeline output: per kept box, the confidence of every class.</summary>
    public const string ConfidenceName = "confidence";

    /// <summary>Pipeline output: per kept box, x, y, width, height normalised to the input (origin top-left).</summary>
    public const string CoordinatesName = "coordinates";

    /// <summary>The decoder's confidence rows before suppression (the NeuralNetwork stage's output).</summary>
    public const string RawConfidenceName = "raw_confidence";

    /// <summary>The decoder's coordinate rows before suppression (the NeuralNetwork stage's output).</summary>
    public const string RawCoordinatesName = "raw_coordinates";

    /// <summary>Optional pipeline input overriding the IoU threshold.</summary>
    public const string IouInputName = "iouThreshold";

    /// <summary>Optional pipeline input overriding the confidence threshold.</summary>
    public const string ConfidenceInputName = "confidenceThreshold";

    // The nonMaximumSuppression model arrived with specification version 3 (iOS 12).
    private const int NmsSpecificationVersion = 3;

    private readonly CoreMLWriterOptions _options;
    private readonly NmsOptions _nms;

    /// <summary>Creates a writer; the options are checked here, once.</summary>
    public PipelineWriter(CoreMLWriterOptions? options = null, NmsOptions? nms = null)
    {
        _options = options ?? new CoreMLWriterOptions();
        _nms = nms ?? new NmsOptions();
        if (_nms.IouThreshold is < 0 or > 1 || double.IsNaN(_nms.IouThreshold))
        {
            throw new ArgumentException($"the IoU threshold {_nms.IouThreshold} is outside [0, 1]", nameof(nms));
        }

        if (_nms.ConfidenceThreshold is < 0 or > 1 || double.IsNaN(_nms.ConfidenceThreshold))
        {
            throw new ArgumentException($"the confidence threshold {_nms.ConfidenceThreshold} is outside [0, 1]", nameof(nms));
        }

        string[] reserved = [ConfidenceName, CoordinatesName, RawConfidenceName, RawCoordinatesName, IouInputName, ConfidenceInputName];
        var clash = (_options.OutputNames ?? []).Append(_options.InputName).FirstOrDefault(n => reserved.Contains(n, StringComparer.Ordinal));
        if (clash is not null)
        {
            throw new ArgumentException($"the name '{clash}' is used by the detector pipeline itself; choose another input or head name", nameof(options));
        }
    }

    /// <summary>
    /// Lowers, decodes and streams the pipeline to <paramref name="stream"/>, reading each convolution's weights
    /// from <paramref name="weights"/> as it is written.
    /// </summary>
    public PipelineWriteResult Write(ShapedNetwork shaped, ConvWeightsSource weights, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(stream);
        var (layout, result) = Layout(shaped);
        layout.Write(weights, stream);
        return result;
    }

    /// <summary>Lowers, decodes and serialises the network, whose weights are in memory, to <paramref name="stream"/>.</summary>
    public PipelineWriteResult Write(WeightedNetwork weighted, ShapedNetwork shaped, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        return Write(shaped, ConvWeightsSource.From(weighted), stream);
    }

    /// <summary>The complete message, built the ordinary way (the reference for the streamed bytes).</summary>
    internal (Model Model, PipelineWriteResult Result) Build(WeightedNetwork weighted, ShapedNetwork shaped)
    {
        var (layout, result) = Layout(shaped);
        return (layout.Fill(ConvWeightsSource.From(weighted)), result);
    }

    /// <summary>The pipeline without its convolution weights, and what the write will report.</summary>
    internal (ModelLayout Layout, PipelineWriteResult Result) Layout(ShapedNetwork shaped)
    {
        var (body, raw) = new CoreMLWriter(_options).Layout(shaped);
        var network = body.Model;
        var image = network.Description.Input[0];
        var metadata = network.Description.Metadata;

        // Stage 1: the body as for a raw-head model, then the decoder; its outputs are the decoded rows (DOUBLE).
        var (boxes, classes) = new DecoderLowering(network.NeuralNetwork, shaped.Network.Net).Append(raw.Heads, RawCoordinatesName, RawConfidenceName);
        network.Description = new ModelDescription { Metadata = new Metadata { ShortDescription = "Darknet body and head decoder" } };
        network.Description.Input.Add(image.Clone());
        network.Description.Output.Add(Array(RawConfidenceName, $"decoded class confidences before suppression: {boxes} candidate boxes x {classes} classes", boxes, classes));
        network.Description.Output.Add(Array(RawCoordinatesName, $"decoded boxes before suppression: {boxes} candidates x (x, y, width, height), normalised, origin top-left", boxes, 4));

        // Stage 2: non-maximum suppression. Its threshold inputs must not be optional; the pipeline's may be.
        var labels = _options.ClassNames ?? [.. Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        var nms = new NonMaximumSuppression
        {
            PickTop = new NonMaximumSuppression.Types.PickTop { PerClass = true },
            StringClassLabels = new StringVector(),
            IouThreshold = _nms.IouThreshold,
            ConfidenceThreshold = _nms.ConfidenceThreshold,
            ConfidenceInputFeatureName = RawConfidenceName,
            CoordinatesInputFeatureName = RawCoordinatesName,
            IouThresholdInputFeatureName = IouInputName,
            ConfidenceThresholdInputFeatureName = ConfidenceInputName,
            ConfidenceOutputFeatureName = ConfidenceName,
            CoordinatesOutputFeatureName = CoordinatesName,
        };
        nms.StringClassLabels.Vector.Add(labels);
        var nmsDescription = new ModelDescription { Metadata = new Metadata { ShortDescription = "per-class non-maximum suppression" } };
        nmsDescription.Input.Add(network.Description.Output.Select(o => o.Clone()));
        nmsDescription.Input.Add(Threshold(IouInputName, _nms.IouThreshold, optional: false));
        nmsDescription.Input.Add(Threshold(ConfidenceInputName, _nms.ConfidenceThreshold, optional: false));
        var outputs = new[]
        {
            Ranged(ConfidenceName, $"confidence of each of the {classes} classes for every kept box (Vision sums a row as the object's confidence)", classes),
            Ranged(CoordinatesName, "x, y, width, height of every kept box, normalised to the input image, origin top-left", 4),
        };
        nmsDescription.Output.Add(outputs.Select(o => o.Clone()));
        var nmsModel = new Model { SpecificationVersion = NmsSpecificationVersion, Description = nmsDescription, NonMaximumSuppression = nms };

        // The pipeline: image + optional thresholds in, suppressed boxes out; the app-facing metadata lives here.
        var description = new ModelDescription { Metadata = metadata };
        description.Input.Add(image);
        description.Input.Add(Threshold(IouInputName, _nms.IouThreshold, optional: true));
        description.Input.Add(Threshold(ConfidenceInputName, _nms.ConfidenceThreshold, optional: true));
        description.Output.Add(outputs);
        Annotate(metadata, raw.Metadata!, shaped.Network.SourceName, boxes, classes);
        var pipeline = new global::CoreML.Specification.Pipeline();
        pipeline.Models.Add([network, nmsModel]);
        pipeline.Names.Add(["decoder", "nms"]);
        var version = Math.Max(network.SpecificationVersion, NmsSpecificationVersion);
        var model = new Model { SpecificationVersion = version, Description = description, Pipeline = pipeline };
        return (body with { Model = model }, new PipelineWriteResult(version, raw with { LayerCount = network.NeuralNetwork.Layers.Count }, boxes, classes, labels, _options.ClassNames is not null));
    }

    // The app-facing description says what the pipeline returns; the nms keys follow the body's.
    private void Annotate(Metadata metadata, ModelMetadata typed, string sourceName, int boxes, int classes)
    {
        var nms = new NmsMetadata(_nms.IouThreshold, _nms.ConfidenceThreshold, boxes, classes);
        if (_options.Description is null)
        {
            metadata.ShortDescription = typed.Description(sourceName, nms);
        }

        nms.Write(metadata.UserDefined);
    }

    private static FeatureDescription Array(string name, string text, int rows, int columns)
    {
        var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Double };
        array.Shape.Add([rows, columns]);
        return new FeatureDescription { Name = name, ShortDescription = text, Type = new FeatureType { MultiArrayType = array } };
    }

    // A kept-box output: any number of rows (shape range 0..unbounded), a fixed number of columns.
    private static FeatureDescription Ranged(string name, string text, int columns)
    {
        var range = new ArrayFeatureType.Types.ShapeRange();
        range.SizeRanges.Add(new SizeRange { LowerBound = 0, UpperBound = -1 });
        range.SizeRanges.Add(new SizeRange { LowerBound = (ulong)columns, UpperBound = columns });
        var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Double, ShapeRange = range };
        return new FeatureDescription { Name = name, ShortDescription = text, Type = new FeatureType { MultiArrayType = array } };
    }

    private static FeatureDescription Threshold(string name, double value, bool optional) => new()
    {
        Name = name,
        ShortDescription = $"{(optional ? "(optional) " : string.Empty)}{(name == IouInputName ? "IoU above which a weaker box of the same class is suppressed" : "lowest confidence a box needs to be kept")}; default {Str(value)}",
        Type = new FeatureType { DoubleType = new DoubleFeatureType(), IsOptional = optional },
    };

    private static string Str(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
