using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>
/// What one run of a model hands to its ops: the pool its outputs come from and go back to, and the convolution
/// kernels of the precision it runs at. Owned by that run; a concurrent run has its own.
/// </summary>
internal sealed class RunContext(TensorPool pool, IReadOnlyDictionary<Layer, ConvKernel> kernels)
{
    /// <summary>The pool of this run's buffers.</summary>
    public TensorPool Pool { get; } = pool;

    /// <summary>A buffer for a layer's output, from the pool (not cleared: every op writes its whole output).</summary>
    public Tensor Output(TensorShape shape) => Pool.Rent(shape);

    /// <summary>The packed weights of a convolution layer of the model being run.</summary>
    public ConvKernel KernelOf(Layer layer) => kernels.TryGetValue(layer, out var kernel) ? kernel
        : throw new InvalidOperationException($"convolution '{layer.Name}' has no kernel in this run.");
}
