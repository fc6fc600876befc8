using CoreML.Specification;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Passes;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>What a detector package write produced: the ML Program stage's result and the pipeline's.</summary>
public sealed record MLProgramPipelineWriteResult(
    MLProgramWriteResult Program, int SpecificationVersion, int Boxes, int Classes, IReadOnlyList<string> Labels, bool LabelsFromNames);

/// <summary>
/// Writes a Vision-ready detector package (<c>.mlpackage</c>): its root <c>model.mlmodel</c> is a pipeline of an
/// ML Program stage (the Darknet body and the head decoder of <see cref="MLProgramDecoderLowering"/>, outputs
/// <c>raw_confidence</c> [N, K] and <c>raw_coordinates</c> [N, 4] in FLOAT32) and a nonMaximumSuppression stage
/// (FLOAT32 arrays, specification 5), with the same inputs, labels and metadata as the .mlmodel pipeline of
/// <see cref="PipelineWriter"/>. The stage is pipeline model 0, so its blobs are in
/// <c>Data/com.apple.CoreML/weights/0-weight.bin</c>, referenced as <c>@model_path/weights/0-weight.bin</c>.
/// </summary>
public sealed class MLProgramPipelineWriter
{
    /// <summary>The ML Program stage's weight file, relative to the package folder.</summary>
    public const string WeightsPath = "Data/com.apple.CoreML/weights/0-weight.bin";

    /// <summary>The weight file as the stage's program references it.</summary>
    internal const string BlobFileName = "@model_path/weights/0-weight.bin";

    private readonly CoreMLWriterOptions _options;
    private readonly MLProgramWriter _program;
    private readonly DetectorPipeline _pipeline;

    /// <summary>Creates a writer; <paramref name="target"/> null picks the lowest target that can express the options (iOS 15; iOS 16 for compressed weights).</summary>
    public MLProgramPipelineWriter(CoreMLWriterOptions? options = null, NmsOptions? nms = null, MLProgramTarget? target = null)
    {
        _program = new MLProgramWriter(options, target);
        _options = options ?? new CoreMLWriterOptions { Precision = Weights.WeightFormat.Fp16, Mish = MishLowering.Stable };
        _pipeline = new DetectorPipeline(_options, nms ?? new NmsOptions());
    }

    /// <summary>The target of the ML Program stage.</summary>
    public MLProgramTarget Target => _program.Target;

    /// <summary>
    /// Writes the package's files through <paramref name="create"/> (as <see cref="MLProgramWriter.Write(ShapedNetwork, ConvWeightsSource, Func{string, Stream})"/>),
    /// reading each convolution's weights as the weight file is written.
    /// </summary>
    public MLProgramPipelineWriteResult Write(ShapedNetwork shaped, ConvWeightsSource weights, Func<string, Stream> create)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(create);
        var (model, lowering, result) = Layout(shaped);
        _program.WriteFiles(model, lowering, weights, create, WeightsPath);
        return result;
    }

    /// <summary>Writes the package, whose weights are in memory.</summary>
    public MLProgramPipelineWriteResult Write(WeightedNetwork weighted, ShapedNetwork shaped, Func<string, Stream> create)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        return Write(shaped, ConvWeightsSource.From(weighted), create);
    }

    /// <summary>The root pipeline model and the stage's weight file layout.</summary>
    internal (Model Model, MLProgramLowering Lowering, MLProgramPipelineWriteResult Result) Layout(ShapedNetwork shaped)
    {
        var (graph, heads, lowering) = _program.Lower(shaped, BlobFileName);
        var values = lowering.EmitBody();
        var (boxes, classes) = new MLProgramDecoderLowering(lowering).Append(
            heads, values, graph.Net.Width, graph.Net.Height, PipelineWriter.RawCoordinatesName, PipelineWriter.RawConfidenceName);
        var block = lowering.Builder.Block;
        var (metadata, typed) = _program.Common.Metadata(graph, heads);
        var stage = new Model { SpecificationVersion = _program.Target.SpecificationVersion(), MlProgram = _program.Program(lowering, block) };
        var (model, labels) = _pipeline.Build(
            stage, _program.Common.InputDescription(graph.Net), metadata, typed, graph.SourceName, boxes, classes, ArrayFeatureType.Types.ArrayDataType.Float32);
        return (model, lowering, new MLProgramPipelineWriteResult(
            _program.Result(lowering, block, heads), model.SpecificationVersion, boxes, classes, labels, _options.ClassNames is not null));
    }
}
