using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
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
/// keeps the whole pipeline at specification version 3 (iOS 12); FLOAT32 would need 5. The stages around the decoder
/// are <see cref="DetectorPipeline"/>'s, shared with the .mlpackage pipeline.
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

    private readonly CoreMLWriterOptions _options;
    private readonly DetectorPipeline _pipeline;

    /// <summary>Creates a writer; the options are checked here, once.</summary>
    public PipelineWriter(CoreMLWriterOptions? options = null, NmsOptions? nms = null)
    {
        _options = options ?? new CoreMLWriterOptions();
        _pipeline = new DetectorPipeline(_options, nms ?? new NmsOptions());
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

        // The body as for a raw-head model, then the decoder; its outputs are the decoded rows (DOUBLE).
        var (boxes, classes) = new DecoderLowering(network.NeuralNetwork, shaped.Network.Net).Append(raw.Heads, RawCoordinatesName, RawConfidenceName);
        var (model, labels) = _pipeline.Build(network, image, metadata, raw.Metadata!, shaped.Network.SourceName, boxes, classes, ArrayFeatureType.Types.ArrayDataType.Double);
        return (body with { Model = model }, new PipelineWriteResult(model.SpecificationVersion, raw with { LayerCount = network.NeuralNetwork.Layers.Count }, boxes, classes, labels, _options.ClassNames is not null));
    }
}
