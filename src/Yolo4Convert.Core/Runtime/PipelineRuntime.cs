using System.Collections.Immutable;
using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Numerics;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Runtime;

/// <summary>What a detector pipeline returned, plus the decoder stage's blobs.</summary>
/// <param name="Boxes">The suppressed boxes the pipeline outputs.</param>
/// <param name="Decoded">The decoder stage's outputs (the decoded rows before suppression) and any kept blobs.</param>
public sealed record PipelineResult(NmsResult Boxes, IReadOnlyDictionary<string, Tensor> Decoded);

/// <summary>
/// Runs a Core ML pipeline model (Model.pipeline) of a decoder stage fed by the image (a NeuralNetwork in a .mlmodel,
/// an ML Program in a .mlpackage) followed by a nonMaximumSuppression stage, as yolo4convert writes with --nms:
/// stages run in order and pass features by name, as Core ML's pipeline does. Optional threshold inputs override the
/// NMS model's stored thresholds.
/// </summary>
public sealed class PipelineRuntime
{
    private readonly IModelRuntime _network;
    private readonly NmsRuntime _nms;
    private readonly string[] _stageOutputs;

    private PipelineRuntime(Model model, string fileName, Model.TypeOneofCase decoderKind, Func<Model, (IModelRuntime Runtime, IReadOnlyDictionary<string, TensorShape?> Values)> decoder)
    {
        var where = new SourceLocation(fileName);
        var stages = model.Pipeline.Models;
        if (stages.Count != 2 || stages[0].TypeCase != decoderKind || stages[1].TypeCase != Model.TypeOneofCase.NonMaximumSuppression)
        {
            throw new UnsupportedFeatureException(
                $"the pipeline's stages are [{string.Join(", ", stages.Select(s => s.TypeCase))}]; the runtime runs a {decoderKind} followed by a NonMaximumSuppression model.", where);
        }

        foreach (var stage in stages.Where(s => s.SpecificationVersion <= 0 || s.SpecificationVersion > model.SpecificationVersion))
        {
            throw new DarknetFormatException($"a {stage.TypeCase} stage declares specificationVersion {stage.SpecificationVersion}; the pipeline declares {model.SpecificationVersion}, which must cover every stage.", where);
        }

        (_network, var values) = decoder(stages[0]);
        _nms = new NmsRuntime(stages[1], fileName);
        _stageOutputs = [.. _network.Info.Outputs.Select(o => o.Name)];
        foreach (var input in _nms.Inputs.Where(i => !_stageOutputs.Contains(i, StringComparer.Ordinal)))
        {
            throw new DarknetFormatException($"the nonMaximumSuppression stage reads '{input}', which the {decoderKind} stage does not output.", where);
        }

        var description = model.Description ?? throw new DarknetFormatException("the model has no description.", where);
        if (description.Input.FirstOrDefault(i => i.Type?.TypeCase == FeatureType.TypeOneofCase.ImageType)?.Name != _network.Info.InputName)
        {
            throw new DarknetFormatException($"the pipeline's image input is not the {decoderKind} stage's input '{_network.Info.InputName}'.", where);
        }

        // The raw heads named in the metadata are internal blobs of the decoder stage; listing them with their
        // shapes lets the heads be read back (and checked) as for a raw-head model.
        var userDefined = description.Metadata?.UserDefined.ToImmutableDictionary() ?? ImmutableDictionary<string, string>.Empty;
        var heads = ModelMetadata.HeadNames(userDefined);
        var blobs = heads.Where(h => !_stageOutputs.Contains(h, StringComparer.Ordinal))
            .Select(h => values.TryGetValue(h, out var shape) && shape is { } s ? (h, s)
                : throw new DarknetFormatException($"the metadata names head '{Echo.Of(h)}', which the {decoderKind} stage does not compute.", where));
        Info = _network.Info with
        {
            Outputs = _network.Info.Outputs.AddRange(blobs),
            SpecificationVersion = model.SpecificationVersion,
            UserDefined = userDefined,
            ShortDescription = description.Metadata?.ShortDescription ?? string.Empty,
        };
        var optional = description.Input.Where(i => i.Type?.TypeCase == FeatureType.TypeOneofCase.DoubleType).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var (iouName, confidenceName) = _nms.ThresholdInputs;
        ThresholdInputs = (optional.Contains(iouName) ? iouName : null, optional.Contains(confidenceName) ? confidenceName : null);
        OutputNames = _nms.Outputs;
    }

    /// <summary>The image input and the pipeline's metadata; Outputs lists the decoder stage's outputs and its raw-head blobs.</summary>
    public ModelInfo Info { get; }

    /// <summary>The decoder stage: the converted network with the head decoder appended (its layers are the body's).</summary>
    public IModelRuntime Decoder => _network;

    /// <summary>The coarsest format of the decoder stage's stored convolution weights.</summary>
    public WeightFormat StoredWeights => _network.StoredWeights;

    /// <summary>The class labels of the NMS stage.</summary>
    public IReadOnlyList<string> Labels => _nms.Labels;

    /// <summary>The thresholds stored in the NMS stage.</summary>
    public (double Iou, double Confidence) Thresholds => _nms.Thresholds;

    /// <summary>The pipeline's threshold inputs (null when the pipeline has none).</summary>
    public (string? Iou, string? Confidence) ThresholdInputs { get; }

    /// <summary>The decoder stage's confidence and coordinates rows (the NMS stage's inputs).</summary>
    public IReadOnlyList<string> DecodedNames => _nms.Inputs;

    /// <summary>The pipeline's confidence and coordinates output names.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Prepares a parsed pipeline model.</summary>
    internal static PipelineRuntime FromModel(Model model, string fileName) =>
        new(model, fileName, Model.TypeOneofCase.NeuralNetwork, stage => CoreMLRuntime.ForStage(stage, fileName) is var network ? (network, network.BlobShapes) : default);

    /// <summary>Prepares the parsed pipeline root model of an ML Program package; the stage's blobs are read from the package.</summary>
    internal static PipelineRuntime FromPackage(Model model, MLProgram.MLPackage package) =>
        new(model, package.ModelPath, Model.TypeOneofCase.MlProgram, stage => MLProgram.MLProgramRuntime.FromModel(stage, package) is var program ? (program, program.ValueShapes) : default);

    /// <summary>
    /// Runs the pipeline on an image (0..255, CHW, at the input size). A threshold given here is passed as the
    /// pipeline's optional input of that name; without it the NMS stage uses its stored value.
    /// </summary>
    public PipelineResult Run(Tensor pixels, double? iouThreshold = null, double? confidenceThreshold = null, IReadOnlyCollection<string>? keep = null,
        ComputePrecision precision = ComputePrecision.Fp32)
    {
        if ((iouThreshold is not null && ThresholdInputs.Iou is null) || (confidenceThreshold is not null && ThresholdInputs.Confidence is null))
        {
            throw new ArgumentException("the pipeline has no input for that threshold");
        }

        var decoded = _network.Run(pixels, keep ?? [], precision);
        var boxes = _nms.Run(decoded[_nms.Inputs[0]], decoded[_nms.Inputs[1]], iouThreshold, confidenceThreshold);
        return new PipelineResult(boxes, decoded);
    }
}
