using CoreML.Specification;
using Google.Protobuf;

namespace Yolo4Convert.CoreML.Precision;

/// <summary>
/// Turns one convolution's folded float32 kernel and bias into Core ML WeightParams, in the format the options ask
/// for: float32, float16, 8-bit linear or a k-means lookup table. A lowering step of its own, called once per layer
/// by whoever emits convolutions, so it applies to any model body.
/// <para>
/// The serialised size of every format depends only on the counts (weights, output channels), never on the values
/// (<see cref="SerializedSize"/>), so a streaming writer can size a layer before encoding it.
/// </para>
/// </summary>
internal sealed class WeightEncoding
{
    private readonly List<EncodedLayer> _layers = [];
    private readonly KMeansQuantizer _kmeans = new();

    public WeightEncoding(WeightPrecision precision, WeightQuantization quantization, int minimumQuantizedWeights)
    {
        Precision = precision;
        Quantization = quantization;
        MinimumQuantizedWeights = minimumQuantizedWeights;
    }

    public WeightPrecision Precision { get; }

    public WeightQuantization Quantization { get; }

    /// <summary>Kernels with fewer weights stay in float: their table or scales would eat most of the saving.</summary>
    public int MinimumQuantizedWeights { get; }

    /// <summary>What was written so far, layer by layer, and the spec version it needs.</summary>
    public WeightEncodingReport Report => new([.. _layers], _layers.Any(l => l.Format is not ("fp32" or "fp16")) ? 3
        : _layers.Any(l => l.Format == "fp16") ? 2 : 1);

    public static WeightEncoding From(CoreMLWriterOptions options) =>
        new(options.Precision, options.Quantization, options.MinimumQuantizedWeights);

    /// <summary>The format a kernel of <paramref name="count"/> weights gets: fp32, fp16, linear8 or kmeansN.</summary>
    public string FormatFor(long count) => Quantization switch
    {
        WeightQuantization.None => FloatFormat,
        _ when count < MinimumQuantizedWeights => FloatFormat,
        WeightQuantization.Linear8 => "linear8",
        _ => $"kmeans{Bits(Quantization)}",
    };

    private string FloatFormat => Precision == WeightPrecision.Fp16 ? "fp16" : "fp32";

    /// <summary>
    /// Records that the kernel of <paramref name="layerName"/> (<paramref name="count"/> weights, <paramref name="channels"/>
    /// output channels) is stored in the model, and returns its format. Called while the model is laid out, before
    /// any value is read, so the report and the sizes are known up front.
    /// </summary>
    public string Plan(string layerName, long count, int channels)
    {
        var format = FormatFor(count);
        _layers.Add(new EncodedLayer(layerName, count, format, SerializedSize(format, count, channels)));
        return format;
    }

    /// <summary>Encodes one convolution's kernel (OIHW) and bias (the layer is recorded by <see cref="Plan"/>).</summary>
    public (WeightParams Weights, WeightParams Bias) Encode(string layerName, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias)
    {
        var format = FormatFor(kernel.Length);
        var weights = format switch
        {
            "fp32" => Float32(kernel),
            "fp16" => new WeightParams { Float16Value = UnsafeByteOperations.UnsafeWrap(HalfPrecision.Encode(kernel, layerName)) },
            "linear8" => Linear(kernel, bias.Length),
            _ => LookupTable(kernel, Bits(Quantization)),
        };
        return (weights, EncodeBias(layerName, bias));
    }

    /// <summary>Encodes a bias: float32, or float16 in half precision (biases are never quantized).</summary>
    public WeightParams EncodeBias(string layerName, ReadOnlySpan<float> bias) => Precision == WeightPrecision.Fp16
        ? new WeightParams { Float16Value = UnsafeByteOperations.UnsafeWrap(HalfPrecision.Encode(bias, layerName)) }
        : Float32(bias);

    /// <summary>
    /// The serialised size in bytes of a kernel's WeightParams message (without its own tag and length) in a format,
    /// from the counts alone. Packed repeated fields and non-empty bytes fields are written whatever their values,
    /// and numberOfBits is never zero, so no value can change the size.
    /// </summary>
    public static long SerializedSize(string format, long count, int outputChannels)
    {
        static long Field(int number, long length) => CodedOutputStream.ComputeTagSize(number) + CodedOutputStream.ComputeLengthSize((int)length) + length;
        switch (format)
        {
            case "fp32":
                return Field(WeightParams.FloatValueFieldNumber, 4 * count);
            case "fp16":
                return Field(WeightParams.Float16ValueFieldNumber, 2 * count);
            default:
                var bits = format == "linear8" ? 8 : int.Parse(format["kmeans".Length..], System.Globalization.CultureInfo.InvariantCulture);
                var parameters = format == "linear8"
                    ? Field(QuantizationParams.LinearQuantizationFieldNumber,
                        Field(LinearQuantizationParams.ScaleFieldNumber, 4L * outputChannels) + Field(LinearQuantizationParams.BiasFieldNumber, 4L * outputChannels))
                    : Field(QuantizationParams.LookupTableQuantizationFieldNumber, Field(LookUpTableQuantizationParams.FloatValueFieldNumber, 4L << bits));
                var quantization = CodedOutputStream.ComputeTagSize(QuantizationParams.NumberOfBitsFieldNumber) + CodedOutputStream.ComputeUInt64Size((ulong)bits) + parameters;
                return Field(WeightParams.RawValueFieldNumber, BitPacking.ByteCount(count, bits)) + Field(WeightParams.QuantizationFieldNumber, quantization);
        }
    }

    /// <summary>The serialised size of a bias WeightParams of <paramref name="channels"/> values (biases are never quantized).</summary>
    public long SerializedBiasSize(int channels) => SerializedSize(FloatFormat, channels, channels);

    public static int Bits(WeightQuantization q) => q switch
    {
        WeightQuantization.Linear8 or WeightQuantization.KMeans8 => 8,
        WeightQuantization.KMeans6 => 6,
        WeightQuantization.KMeans4 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(q), q, "no quantization"),
    };

    // Unchanged from the writer's original float path, so default models keep their bytes.
    private static WeightParams Float32(ReadOnlySpan<float> values)
    {
        var p = new WeightParams();
        p.FloatValue.Capacity = values.Length;
        foreach (var v in values)
        {
            p.FloatValue.Add(v);
        }

        return p;
    }

    private static WeightParams Linear(ReadOnlySpan<float> kernel, int channels)
    {
        var (codes, scale, bias) = LinearQuantizer.Quantize(kernel, channels, 8);
        var linear = new LinearQuantizationParams();
        linear.Scale.AddRange(scale);
        linear.Bias.AddRange(bias);
        return new WeightParams
        {
            RawValue = UnsafeByteOperations.UnsafeWrap(codes),
            Quantization = new QuantizationParams { NumberOfBits = 8, LinearQuantization = linear },
        };
    }

    private WeightParams LookupTable(ReadOnlySpan<float> kernel, int bits)
    {
        var (codes, table) = _kmeans.Quantize(kernel, bits);
        var lut = new LookUpTableQuantizationParams();
        lut.FloatValue.AddRange(table);
        return new WeightParams
        {
            RawValue = UnsafeByteOperations.UnsafeWrap(BitPacking.Pack(codes, bits)),
            Quantization = new QuantizationParams { NumberOfBits = (ulong)bits, LookupTableQuantization = lut },
        };
    }
}
