namespace Yolo4Convert.CoreML;

/// <summary>The float format of stored weights that are not quantized.</summary>
public enum WeightPrecision
{
    /// <summary>IEEE single precision (floatValue); spec 1.</summary>
    Fp32,

    /// <summary>IEEE half precision (float16Value), rounded to nearest even from the folded float32 weights; spec 2.</summary>
    Fp16,
}

/// <summary>How convolution kernels are quantized (biases are never quantized).</summary>
public enum WeightQuantization
{
    /// <summary>No quantization.</summary>
    None,

    /// <summary>8-bit linear quantization, one scale and offset per output channel; spec 3.</summary>
    Linear8,

    /// <summary>An 8-bit index into a 256-entry table per layer fitted by 1-D k-means; spec 3.</summary>
    KMeans8,

    /// <summary>A 6-bit index into a 64-entry k-means table per layer; spec 3.</summary>
    KMeans6,

    /// <summary>A 4-bit index into a 16-entry k-means table per layer; spec 3.</summary>
    KMeans4,
}

/// <summary>How one convolution's weights were stored.</summary>
/// <param name="LayerName">The Core ML layer name, e.g. <c>105_conv</c>.</param>
/// <param name="Weights">The number of kernel weights.</param>
/// <param name="Format">fp32, fp16, linear8, kmeans8, kmeans6 or kmeans4.</param>
/// <param name="Bytes">The serialised size of the kernel's WeightParams message (a function of the counts only).</param>
public sealed record EncodedLayer(string LayerName, long Weights, string Format, long Bytes);

/// <summary>The weight encoding of a written model, layer by layer.</summary>
/// <param name="Layers">One entry per convolution, in layer order.</param>
/// <param name="SpecificationVersion">The lowest spec version the stored formats need (1, 2 or 3).</param>
public sealed record WeightEncodingReport(IReadOnlyList<EncodedLayer> Layers, int SpecificationVersion)
{
    /// <summary>Convolutions left in float because they are below the quantization threshold.</summary>
    public IEnumerable<EncodedLayer> KeptInFloat(WeightQuantization quantization) =>
        quantization == WeightQuantization.None ? [] : Layers.Where(l => l.Format is "fp32" or "fp16");
}
