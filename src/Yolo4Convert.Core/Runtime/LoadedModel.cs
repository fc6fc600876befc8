using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Runtime;

/// <summary>
/// A loaded model: a raw-head NeuralNetwork .mlmodel, a detector pipeline (written with --nms, in a .mlmodel or a
/// .mlpackage), or an ML Program .mlpackage (a folder with a Manifest.json) with raw heads.
/// </summary>
public sealed class LoadedModel
{
    private LoadedModel(IModelRuntime? network, PipelineRuntime? pipeline)
    {
        Network = network;
        Pipeline = pipeline;
    }

    /// <summary>The raw-head model (NeuralNetwork or ML Program), or null for a pipeline.</summary>
    public IModelRuntime? Network { get; }

    /// <summary>The detector pipeline, or null for a NeuralNetwork model.</summary>
    public PipelineRuntime? Pipeline { get; }

    /// <summary>The image input and metadata of either kind.</summary>
    public ModelInfo Info => Pipeline?.Info ?? Network!.Info;

    /// <summary>The coarsest format of the stored convolution weights.</summary>
    public WeightFormat StoredWeights => Pipeline?.StoredWeights ?? Network!.StoredWeights;

    /// <summary>Parses a model and prepares the runtime of its kind.</summary>
    public static LoadedModel Load(Stream stream, string fileName)
    {
        // Read layer by layer: a NeuralNetwork model's convolution weights are packed as they come and held once.
        var kernels = new KernelExtractor();
        var model = CoreMLRuntime.Read(stream, fileName, kernels);
        return model.TypeCase == Model.TypeOneofCase.Pipeline
            ? new LoadedModel(null, PipelineRuntime.FromModel(model, fileName))
            : new LoadedModel(CoreMLRuntime.ForStage(model, fileName, kernels), null);
    }

    /// <summary>Loads a model file.</summary>
    public static LoadedModel Load(InputFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = file.Open();
        return Load(stream, file.Name);
    }

    /// <summary>Loads an ML Program package: raw heads, or a detector pipeline (written with --nms).</summary>
    public static LoadedModel Load(InputFolder package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var opened = MLProgram.MLPackage.Open(package);
        var model = MLProgram.MLProgramRuntime.ReadRoot(opened);
        return model.TypeCase == Model.TypeOneofCase.Pipeline
            ? new LoadedModel(null, PipelineRuntime.FromPackage(model, opened))
            : new LoadedModel(MLProgram.MLProgramRuntime.FromModel(model, opened), null);
    }
}
