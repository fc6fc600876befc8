using Yolo4Convert.Weights;

namespace Yolo4Convert.CoreML;

/// <summary>How one convolution's weights were stored.</summary>
/// <param name="LayerName">The Core ML layer name, e.g. <c>105_conv</c>.</param>
/// <param name="Weights">The number of kernel weights.</param>
/// <param name="Stored">The kernel's format.</param>
/// <param name="Bytes">The serialised size of the kernel's WeightParams message (a function of the counts only).</param>
public sealed record EncodedLayer(string LayerName, long Weights, WeightFormat Stored, long Bytes)
{
    /// <summary>The format's name: fp32, fp16, linear8, kmeans8, kmeans6 or kmeans4.</summary>
    public string Format => Stored.Name;
}

/// <summary>The weight encoding of a written model, layer by layer.</summary>
/// <param name="Layers">One entry per convolution, in layer order.</param>
public sealed record WeightEncodingReport(IReadOnlyList<EncodedLayer> Layers)
{
    /// <summary>The lowest spec version the stored formats need (1, 2 or 3).</summary>
    public int SpecificationVersion => Layers.Select(l => l.Stored.MinimumSpecVersion).DefaultIfEmpty(1).Max();

    /// <summary>Convolutions left in float because they are below the quantization threshold.</summary>
    public IEnumerable<EncodedLayer> KeptInFloat(WeightFormat? quantization) =>
        quantization is null ? [] : Layers.Where(l => !l.Stored.IsQuantized);
}
