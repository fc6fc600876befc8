using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime;

/// <summary>A model that maps an image to raw heads: a NeuralNetwork .mlmodel or an ML Program .mlpackage.</summary>
public interface IModelRuntime
{
    /// <summary>The model's interface and metadata.</summary>
    ModelInfo Info { get; }

    /// <summary>The coarsest format of the stored convolution weights: fp32, fp16, linearN or kmeansN.</summary>
    Weights.WeightFormat StoredWeights { get; }

    /// <summary>Runs the model on an image of pixel values 0..255, RGB (or gray), CHW, at the input size.</summary>
    IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, ComputePrecision precision = ComputePrecision.Fp32);

    /// <summary>Runs the model and also returns the internal values named in <paramref name="keep"/>.</summary>
    IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, IReadOnlyCollection<string> keep, ComputePrecision precision = ComputePrecision.Fp32);

    /// <summary>The values the model computes, in the order a run computes them (see <see cref="LayerValueMap"/>).</summary>
    IReadOnlyList<ComputedValue> ComputedValues { get; }

    /// <summary>
    /// Runs the model and hands each value to <paramref name="observe"/> (name, value) as soon as it is computed,
    /// before the run frees anything; the tensor is the run's own buffer, valid only during the call.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, IReadOnlyCollection<string> keep, ComputePrecision precision, Action<string, Tensor>? observe);
}
