using CoreML.Specification;
using Yolo4Convert.Weights;

namespace Yolo4Convert.CoreML.Precision;

/// <summary>
/// Turns one convolution's folded float32 kernel and bias into Core ML WeightParams, in the format the options ask
/// for (a <see cref="WeightFormat"/>). A lowering step of its own, called once per layer by whoever emits
/// convolutions, so it applies to any model body. Each kernel's format is decided once, by <see cref="Plan"/>, and
/// carried by the layer's <see cref="ConvSlot"/> to the encoder.
/// </summary>
internal sealed class WeightEncoding
{
    private readonly List<EncodedLayer> _layers = [];
    private readonly KMeansQuantizer _kmeans = new();

    public WeightEncoding(WeightFormat precision, WeightFormat? quantization, int minimumQuantizedWeights)
    {
        if (precision.IsQuantized || quantization is { IsQuantized: false })
        {
            throw new ArgumentException($"precision {precision} must be a float format and quantization {quantization} a quantized one");
        }

        Precision = precision;
        Quantization = quantization;
        MinimumQuantizedWeights = minimumQuantizedWeights;
    }

    /// <summary>The float format of biases and of kernels that are not quantized.</summary>
    public WeightFormat Precision { get; }

    /// <summary>The quantized format of kernels, or null.</summary>
    public WeightFormat? Quantization { get; }

    /// <summary>Kernels with fewer weights stay in float: their table or scales would eat most of the saving.</summary>
    public int MinimumQuantizedWeights { get; }

    /// <summary>What was planned so far, layer by layer, and the spec version it needs.</summary>
    public WeightEncodingReport Report => new([.. _layers]);

    public static WeightEncoding From(CoreMLWriterOptions options) =>
        new(options.Precision, options.Quantization, options.MinimumQuantizedWeights);

    /// <summary>The format a kernel of <paramref name="count"/> weights gets.</summary>
    public WeightFormat FormatFor(long count) => Quantization is { } q && count >= MinimumQuantizedWeights ? q : Precision;

    /// <summary>
    /// Decides the format of the kernel of <paramref name="layerName"/> (<paramref name="count"/> weights,
    /// <paramref name="channels"/> output channels) and records it. Called while the model is laid out, before any
    /// value is read, so the report and the sizes are known up front.
    /// </summary>
    public WeightFormat Plan(string layerName, long count, int channels)
    {
        var format = FormatFor(count);
        _layers.Add(new EncodedLayer(layerName, count, format, format.SerializedSize(count, channels)));
        return format;
    }

    /// <summary>Encodes one convolution's kernel (OIHW) in its planned format, and its bias.</summary>
    public (WeightParams Weights, WeightParams Bias) Encode(string layerName, WeightFormat format, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias) =>
        (format.Encode(kernel, bias.Length, layerName, _kmeans), EncodeBias(layerName, bias));

    /// <summary>Encodes a bias in the float precision (biases are never quantized).</summary>
    public WeightParams EncodeBias(string layerName, ReadOnlySpan<float> bias) => Precision.Encode(bias, bias.Length, layerName, _kmeans);

    /// <summary>The serialised size of a bias WeightParams of <paramref name="channels"/> values (biases are never quantized).</summary>
    public long SerializedBiasSize(int channels) => Precision.SerializedSize(channels, channels);
}
