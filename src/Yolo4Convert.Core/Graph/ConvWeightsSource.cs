namespace Yolo4Convert.Graph;

/// <summary>
/// Where a writer gets each convolution's stored values, one layer at a time and in any order: the biases and batch
/// norm whole (one value per filter), the kernel (OIHW) in chunks of the caller's choosing, so that no layer, let
/// alone the network, has to be held whole. A .weights file is one source; a <see cref="WeightedNetwork"/> in
/// memory is another.
/// </summary>
public abstract class ConvWeightsSource
{
    /// <summary>A source over weights already in memory.</summary>
    public static ConvWeightsSource From(WeightedNetwork weighted) => new InMemory(weighted);

    /// <summary>Starts reading the values of <paramref name="layer"/>.</summary>
    public abstract ConvValues Open(ConvolutionalLayer layer);

    /// <summary>Reads one layer's values whole.</summary>
    public ConvWeights ReadWhole(ConvolutionalLayer layer)
    {
        var values = Open(layer);
        var kernel = GC.AllocateUninitializedArray<float>(checked((int)values.KernelCount));
        values.ReadKernel(kernel);
        return new ConvWeights(values.Biases, values.BatchNorm, kernel);
    }

    private sealed class InMemory(WeightedNetwork weighted) : ConvWeightsSource
    {
        public override ConvValues Open(ConvolutionalLayer layer)
        {
            var w = weighted.Weights[layer.Index] ?? throw new InvalidOperationException($"layer {layer.Index} has no weights");
            return new ArrayValues(w);
        }
    }

    private sealed class ArrayValues(ConvWeights weights) : ConvValues(weights.Biases, weights.BatchNorm, weights.Kernel.Length)
    {
        protected override void ReadKernelCore(Span<float> destination) =>
            weights.Kernel.AsSpan((int)KernelRead, destination.Length).CopyTo(destination);
    }
}

/// <summary>One convolution's values being read: biases and batch norm at hand, the kernel read front to back.</summary>
public abstract class ConvValues(float[] biases, BatchNormWeights? batchNorm, long kernelCount)
{
    /// <summary>Darknet's biases (β when the layer has batch norm).</summary>
    public float[] Biases { get; } = biases;

    /// <summary>The batch-norm parameters, or null.</summary>
    public BatchNormWeights? BatchNorm { get; } = batchNorm;

    /// <summary>The number of kernel values (OIHW).</summary>
    public long KernelCount { get; } = kernelCount;

    /// <summary>How many kernel values were read so far.</summary>
    public long KernelRead { get; private set; }

    /// <summary>Fills <paramref name="destination"/> with the next kernel values.</summary>
    public void ReadKernel(Span<float> destination)
    {
        if (KernelRead + destination.Length > KernelCount)
        {
            throw new InvalidOperationException($"{destination.Length} kernel values asked for at {KernelRead} of {KernelCount}");
        }

        ReadKernelCore(destination);
        KernelRead += destination.Length;
        if (KernelRead == KernelCount)
        {
            Finished();
        }
    }

    /// <summary>Reads the next <c>destination.Length</c> values, which exist.</summary>
    protected abstract void ReadKernelCore(Span<float> destination);

    /// <summary>Called once the last kernel value was read.</summary>
    protected virtual void Finished()
    {
    }
}
