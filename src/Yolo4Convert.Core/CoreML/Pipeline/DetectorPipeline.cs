using System.Globalization;
using CoreML.Specification;
using Yolo4Convert.MetadataContract;

namespace Yolo4Convert.CoreML.Pipeline;

/// <summary>
/// The parts of a Vision-ready detector shared by every decoder stage (a NeuralNetwork in a .mlmodel, an ML Program
/// in a .mlpackage): the decoder stage's description, the nonMaximumSuppression stage, and the pipeline with its
/// optional threshold inputs, class labels and app-facing metadata. The four NMS arrays share one data type: DOUBLE
/// (NMS stage at specification 3) or FLOAT32 (specification 5); the pipeline takes the highest stage version.
/// </summary>
internal sealed class DetectorPipeline
{
    // The nonMaximumSuppression model arrived with specification version 3 (iOS 12); FLOAT32 arrays need 5 (iOS 13).
    private const int DoubleNmsSpecificationVersion = 3;
    private const int Float32NmsSpecificationVersion = 5;

    private readonly CoreMLWriterOptions _options;
    private readonly NmsOptions _nms;

    /// <summary>Checks the thresholds and that no user-chosen name is one the pipeline uses itself.</summary>
    public DetectorPipeline(CoreMLWriterOptions options, NmsOptions nms)
    {
        (_options, _nms) = (options, nms);
        if (_nms.IouThreshold is < 0 or > 1 || double.IsNaN(_nms.IouThreshold))
        {
            throw new ArgumentException($"the IoU threshold {_nms.IouThreshold} is outside [0, 1]", nameof(nms));
        }

        if (_nms.ConfidenceThreshold is < 0 or > 1 || double.IsNaN(_nms.ConfidenceThreshold))
        {
            throw new ArgumentException($"the confidence threshold {_nms.ConfidenceThreshold} is outside [0, 1]", nameof(nms));
        }

        string[] reserved = [PipelineWriter.ConfidenceName, PipelineWriter.CoordinatesName, PipelineWriter.RawConfidenceName, PipelineWriter.RawCoordinatesName,
            PipelineWriter.IouInputName, PipelineWriter.ConfidenceInputName];
        var clash = (_options.OutputNames ?? []).Append(_options.InputName).FirstOrDefault(n => reserved.Contains(n, StringComparer.Ordinal));
        if (clash is not null)
        {
            throw new ArgumentException($"the name '{clash}' is used by the detector pipeline itself; choose another input or head name", nameof(options));
        }
    }

    /// <summary>The NMS stage's specification version for arrays of <paramref name="dataType"/>.</summary>
    public static int NmsSpecificationVersion(ArrayFeatureType.Types.ArrayDataType dataType) =>
        dataType == ArrayFeatureType.Types.ArrayDataType.Double ? DoubleNmsSpecificationVersion : Float32NmsSpecificationVersion;

    /// <summary>
    /// Describes <paramref name="decoder"/> (image in, <paramref name="boxes"/> decoded rows of <paramref name="classes"/>
    /// confidences and 4 coordinates out, as <paramref name="dataType"/>) and wraps it with the NMS stage into the
    /// pipeline model; <paramref name="metadata"/> (the body's, typed as <paramref name="typed"/>) becomes the
    /// pipeline's, with the nms keys added. Returns the pipeline and its class labels.
    /// </summary>
    public (Model Model, IReadOnlyList<string> Labels) Build(
        Model decoder, FeatureDescription image, Metadata metadata, ModelMetadata typed, string sourceName, int boxes, int classes, ArrayFeatureType.Types.ArrayDataType dataType)
    {
        // Stage 1: the decoder; its outputs are the decoded rows.
        decoder.Description = new ModelDescription { Metadata = new Metadata { ShortDescription = "Darknet body and head decoder" } };
        decoder.Description.Input.Add(image.Clone());
        decoder.Description.Output.Add(Array(PipelineWriter.RawConfidenceName, $"decoded class confidences before suppression: {boxes} candidate boxes x {classes} classes", boxes, classes, dataType));
        decoder.Description.Output.Add(Array(PipelineWriter.RawCoordinatesName, $"decoded boxes before suppression: {boxes} candidates x (x, y, width, height), normalised, origin top-left", boxes, 4, dataType));

        // Stage 2: non-maximum suppression. Its threshold inputs must not be optional; the pipeline's may be.
        var labels = _options.ClassNames ?? [.. Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        var nms = new NonMaximumSuppression
        {
            PickTop = new NonMaximumSuppression.Types.PickTop { PerClass = true },
            StringClassLabels = new StringVector(),
            IouThreshold = _nms.IouThreshold,
            ConfidenceThreshold = _nms.ConfidenceThreshold,
            ConfidenceInputFeatureName = PipelineWriter.RawConfidenceName,
            CoordinatesInputFeatureName = PipelineWriter.RawCoordinatesName,
            IouThresholdInputFeatureName = PipelineWriter.IouInputName,
            ConfidenceThresholdInputFeatureName = PipelineWriter.ConfidenceInputName,
            ConfidenceOutputFeatureName = PipelineWriter.ConfidenceName,
            CoordinatesOutputFeatureName = PipelineWriter.CoordinatesName,
        };
        nms.StringClassLabels.Vector.Add(labels);
        var nmsDescription = new ModelDescription { Metadata = new Metadata { ShortDescription = "per-class non-maximum suppression" } };
        nmsDescription.Input.Add(decoder.Description.Output.Select(o => o.Clone()));
        nmsDescription.Input.Add(Threshold(PipelineWriter.IouInputName, _nms.IouThreshold, optional: false));
        nmsDescription.Input.Add(Threshold(PipelineWriter.ConfidenceInputName, _nms.ConfidenceThreshold, optional: false));
        var outputs = new[]
        {
            Ranged(PipelineWriter.ConfidenceName, $"confidence of each of the {classes} classes for every kept box (Vision sums a row as the object's confidence)", classes, dataType),
            Ranged(PipelineWriter.CoordinatesName, "x, y, width, height of every kept box, normalised to the input image, origin top-left", 4, dataType),
        };
        nmsDescription.Output.Add(outputs.Select(o => o.Clone()));
        var nmsVersion = NmsSpecificationVersion(dataType);
        var nmsModel = new Model { SpecificationVersion = nmsVersion, Description = nmsDescription, NonMaximumSuppression = nms };

        // The pipeline: image + optional thresholds in, suppressed boxes out; the app-facing metadata lives here.
        var description = new ModelDescription { Metadata = metadata };
        description.Input.Add(image);
        description.Input.Add(Threshold(PipelineWriter.IouInputName, _nms.IouThreshold, optional: true));
        description.Input.Add(Threshold(PipelineWriter.ConfidenceInputName, _nms.ConfidenceThreshold, optional: true));
        description.Output.Add(outputs);
        Annotate(metadata, typed, sourceName, boxes, classes);
        var pipeline = new global::CoreML.Specification.Pipeline();
        pipeline.Models.Add([decoder, nmsModel]);
        pipeline.Names.Add(["decoder", "nms"]);
        var version = Math.Max(decoder.SpecificationVersion, nmsVersion);
        return (new Model { SpecificationVersion = version, Description = description, Pipeline = pipeline }, labels);
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

    private static FeatureDescription Array(string name, string text, int rows, int columns, ArrayFeatureType.Types.ArrayDataType dataType)
    {
        var array = new ArrayFeatureType { DataType = dataType };
        array.Shape.Add([rows, columns]);
        return new FeatureDescription { Name = name, ShortDescription = text, Type = new FeatureType { MultiArrayType = array } };
    }

    // A kept-box output: any number of rows (shape range 0..unbounded), a fixed number of columns.
    private static FeatureDescription Ranged(string name, string text, int columns, ArrayFeatureType.Types.ArrayDataType dataType)
    {
        var range = new ArrayFeatureType.Types.ShapeRange();
        range.SizeRanges.Add(new SizeRange { LowerBound = 0, UpperBound = -1 });
        range.SizeRanges.Add(new SizeRange { LowerBound = (ulong)columns, UpperBound = columns });
        var array = new ArrayFeatureType { DataType = dataType, ShapeRange = range };
        return new FeatureDescription { Name = name, ShortDescription = text, Type = new FeatureType { MultiArrayType = array } };
    }

    private static FeatureDescription Threshold(string name, double value, bool optional) => new()
    {
        Name = name,
        ShortDescription = $"{(optional ? "(optional) " : string.Empty)}{(name == PipelineWriter.IouInputName ? "IoU above which a weaker box of the same class is suppressed" : "lowest confidence a box needs to be kept")}; default {Str(value)}",
        Type = new FeatureType { DoubleType = new DoubleFeatureType(), IsOptional = optional },
    };

    private static string Str(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
