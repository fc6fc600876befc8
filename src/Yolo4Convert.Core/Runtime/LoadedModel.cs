using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Runtime;

/// <summary>
/// A loaded model: a raw-head NeuralNetwork .mlmodel, a detector pipeline (written with --nms), or an ML Program
/// .mlpackage (a directory with a Manifest.json) with raw heads.
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

    /// <summary>The coarsest format of the stored convolution weights (fp32, fp16, linear8, lutN).</summary>
    public string StoredWeights => Pipeline?.StoredWeights ?? Network!.StoredWeights;

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

    /// <summary>Whether <paramref name="path"/> is an ML Program package: a directory with a Manifest.json.</summary>
    public static bool IsPackage(string path) => MLProgram.MLPackage.IsPackage(path);

    /// <summary>Loads a model file, or the ML Program package at <paramref name="path"/> when it is a directory with a Manifest.json.</summary>
    public static LoadedModel Load(string path)
    {
        if (MLProgram.MLPackage.IsPackage(path))
        {
            return new LoadedModel(MLProgram.MLProgramRuntime.Load(path), null);
        }

        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }
}
