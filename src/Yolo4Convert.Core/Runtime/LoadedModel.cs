using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Runtime;

/// <summary>A loaded .mlmodel: either a raw-head NeuralNetwork or a detector pipeline (written with --nms).</summary>
public sealed class LoadedModel
{
    private LoadedModel(CoreMLRuntime? network, PipelineRuntime? pipeline)
    {
        Network = network;
        Pipeline = pipeline;
    }

    /// <summary>The NeuralNetwork model, or null for a pipeline.</summary>
    public CoreMLRuntime? Network { get; }

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
    public static LoadedModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }
}
