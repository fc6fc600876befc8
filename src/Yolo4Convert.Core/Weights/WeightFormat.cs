using System.Globalization;
using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Weights;

/// <summary>
/// How a tensor's weights are stored in a Core ML model: float32, float16, linear or k-means lookup-table
/// quantization. One vocabulary for the writer (which plans a format per convolution), the runtime (which
/// identifies what a model stores), <c>verify</c>'s tolerances and the CLI's <c>--precision</c>/<c>--quantize</c>.
/// <para>
/// The serialised size depends only on the counts (<see cref="SerializedSize"/>), never on the values, so a
/// streaming writer can size a layer before it is read.
/// </para>
/// </summary>
public abstract record WeightFormat
{
    private protected WeightFormat()
    {
    }

    /// <summary>IEEE single precision (floatValue); spec 1.</summary>
    public static WeightFormat Fp32 { get; } = new IeeeSingle();

    /// <summary>IEEE half precision (float16Value), rounded to nearest even; spec 2.</summary>
    public static WeightFormat Fp16 { get; } = new IeeeHalf();

    /// <summary>8-bit linear quantization, one scale and offset per output channel; spec 3.</summary>
    public static WeightFormat Linear8 { get; } = new Linear(8);

    /// <summary>An 8-bit index into a 256-entry table per layer fitted by 1-D k-means; spec 3.</summary>
    public static WeightFormat KMeans8 { get; } = new KMeans(8);

    /// <summary>A 6-bit index into a 64-entry k-means table per layer; spec 3.</summary>
    public static WeightFormat KMeans6 { get; } = new KMeans(6);

    /// <summary>A 4-bit index into a 16-entry k-means table per layer; spec 3.</summary>
    public static WeightFormat KMeans4 { get; } = new KMeans(4);

    /// <summary>Every format the writer offers, from the finest to the coarsest.</summary>
    public static IReadOnlyList<WeightFormat> All { get; } = [Fp32, Fp16, Linear8, KMeans8, KMeans6, KMeans4];

    /// <summary>The float formats (<c>--precision</c>).</summary>
    public static IReadOnlyList<WeightFormat> Floats { get; } = [.. All.Where(f => !f.IsQuantized)];

    /// <summary>The quantized formats the writer offers (<c>--quantize</c>).</summary>
    public static IReadOnlyList<WeightFormat> Quantized { get; } = [.. All.Where(f => f.IsQuantized)];

    /// <summary>The name as the CLI spells it: fp32, fp16, linear8, kmeans4…</summary>
    public abstract string Name { get; }

    /// <summary>Bits per stored weight.</summary>
    public abstract int Bits { get; }

    /// <summary>The lowest Core ML specification version that can store the format.</summary>
    public abstract int MinimumSpecVersion { get; }

    /// <summary>Whether the format is quantized (a linear map or a lookup table over integer codes).</summary>
    public bool IsQuantized => this is Linear or KMeans;

    /// <summary>Orders formats from the coarsest (lowest) to the finest: fewer bits first, a table below a linear map of as many bits.</summary>
    public int Coarseness => (2 * Bits) + (this is KMeans ? 0 : 1);

    /// <summary>The format named <paramref name="name"/>, or a hinted error naming the known ones.</summary>
    public static WeightFormat Parse(string name) => TryParse(name, out var format) ? format
        : throw new Yolo4ConvertException($"unknown weight format '{Echo.Of(name)}'; expected one of {string.Join(", ", All.Select(f => f.Name))}.",
            null, "fp32 and fp16 go with --precision, the others with --quantize.");

    /// <summary>Parses fp32, fp16, linearN or kmeansN (N from 1 to 8).</summary>
    public static bool TryParse(string? name, out WeightFormat format)
    {
        format = name switch
        {
            "fp32" => Fp32,
            "fp16" => Fp16,
            _ when BitsAfter(name, "linear") is { } b => b == 8 ? Linear8 : new Linear(b),
            _ when BitsAfter(name, "kmeans") is { } b => All.FirstOrDefault(f => f is KMeans k && k.Bits == b) ?? new KMeans(b),
            _ => null!,
        };
        return format is not null;
    }

    /// <summary>The coarsest of several formats (float32 when there are none).</summary>
    public static WeightFormat Coarsest(IEnumerable<WeightFormat> formats) => formats.DefaultIfEmpty(Fp32).MinBy(f => f.Coarseness)!;

    /// <summary>The format a stored WeightParams is in; null when it holds no values.</summary>
    internal static WeightFormat? Of(WeightParams w) =>
        w.FloatValue.Count > 0 ? Fp32
        : w.Float16Value.Length > 0 ? Fp16
        : w.Quantization is not { NumberOfBits: >= 1 and <= 8 } q ? null
        : q.QuantizationTypeCase == QuantizationParams.QuantizationTypeOneofCase.LinearQuantization ? (q.NumberOfBits == 8 ? Linear8 : new Linear((int)q.NumberOfBits))
        : Parse($"kmeans{q.NumberOfBits.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// The serialised size in bytes of a WeightParams message (without its own tag and length) of
    /// <paramref name="count"/> values and <paramref name="outputChannels"/> channels. Packed repeated fields and
    /// non-empty bytes fields are written whatever their values, and numberOfBits is never zero, so no value can
    /// change the size.
    /// </summary>
    public abstract long SerializedSize(long count, int outputChannels);

    /// <summary>Encodes values (OIHW for a kernel) of <paramref name="outputChannels"/> channels into a WeightParams.</summary>
    internal abstract WeightParams Encode(ReadOnlySpan<float> values, int outputChannels, string layerName, KMeansQuantizer kmeans);

    /// <summary>Decodes a WeightParams stored in this format back into float32 (<see cref="WeightDecoder.Decode"/>).</summary>
    internal float[] Decode(WeightParams w, int count, int channels) =>
        Of(w) == this ? WeightDecoder.Decode(w, count, channels)
            : throw new InvalidOperationException($"weights stored as {Of(w)?.Name ?? "nothing"} decoded as {Name}");

    /// <inheritdoc/>
    public sealed override string ToString() => Name;

    private static int? BitsAfter(string? name, string prefix) =>
        name is not null && name.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var bits) && bits is >= 1 and <= 8
        && name.Length == prefix.Length + 1 ? bits : null;

    private static long Field(int number, long length) =>
        CodedOutputStream.ComputeTagSize(number) + CodedOutputStream.ComputeLengthSize((int)length) + length;

    private static long QuantizedSize(long count, int bits, long parameters) =>
        Field(WeightParams.RawValueFieldNumber, BitPacking.ByteCount(count, bits))
        + Field(WeightParams.QuantizationFieldNumber,
            CodedOutputStream.ComputeTagSize(QuantizationParams.NumberOfBitsFieldNumber) + CodedOutputStream.ComputeUInt64Size((ulong)bits) + parameters);

    /// <summary>IEEE single precision (floatValue).</summary>
    public sealed record IeeeSingle : WeightFormat
    {
        /// <inheritdoc/>
        public override string Name => "fp32";

        /// <inheritdoc/>
        public override int Bits => 32;

        /// <inheritdoc/>
        public override int MinimumSpecVersion => 1;

        /// <inheritdoc/>
        public override long SerializedSize(long count, int outputChannels) => Field(WeightParams.FloatValueFieldNumber, 4 * count);

        // Unchanged from the writer's original float path, so default models keep their bytes.
        internal override WeightParams Encode(ReadOnlySpan<float> values, int outputChannels, string layerName, KMeansQuantizer kmeans)
        {
            var p = new WeightParams();
            p.FloatValue.Capacity = values.Length;
            foreach (var v in values)
            {
                p.FloatValue.Add(v);
            }

            return p;
        }
    }

    /// <summary>IEEE half precision (float16Value).</summary>
    public sealed record IeeeHalf : WeightFormat
    {
        /// <inheritdoc/>
        public override string Name => "fp16";

        /// <inheritdoc/>
        public override int Bits => 16;

        /// <inheritdoc/>
        public override int MinimumSpecVersion => 2;

        /// <inheritdoc/>
        public override long SerializedSize(long count, int outputChannels) => Field(WeightParams.Float16ValueFieldNumber, 2 * count);

        internal override WeightParams Encode(ReadOnlySpan<float> values, int outputChannels, string layerName, KMeansQuantizer kmeans) =>
            new() { Float16Value = UnsafeByteOperations.UnsafeWrap(HalfPrecision.Encode(values, layerName)) };
    }

    /// <summary>Linear quantization with one scale and offset per output channel (the writer offers 8 bits).</summary>
    /// <param name="Bits">Bits per code, 1 to 8.</param>
    public sealed record Linear(int Bits) : WeightFormat
    {
        /// <inheritdoc/>
        public override string Name => $"linear{Bits.ToString(CultureInfo.InvariantCulture)}";

        /// <inheritdoc/>
        public override int Bits { get; } = Bits;

        /// <inheritdoc/>
        public override int MinimumSpecVersion => 3;

        /// <inheritdoc/>
        public override long SerializedSize(long count, int outputChannels) => QuantizedSize(count, Bits,
            Field(QuantizationParams.LinearQuantizationFieldNumber,
                Field(LinearQuantizationParams.ScaleFieldNumber, 4L * outputChannels) + Field(LinearQuantizationParams.BiasFieldNumber, 4L * outputChannels)));

        internal override WeightParams Encode(ReadOnlySpan<float> values, int outputChannels, string layerName, KMeansQuantizer kmeans)
        {
            var (codes, scale, bias) = LinearQuantizer.Quantize(values, outputChannels, Bits);
            var linear = new LinearQuantizationParams();
            linear.Scale.AddRange(scale);
            linear.Bias.AddRange(bias);
            return new WeightParams
            {
                RawValue = UnsafeByteOperations.UnsafeWrap(Bits == 8 ? codes : BitPacking.Pack(codes, Bits)),
                Quantization = new QuantizationParams { NumberOfBits = (ulong)Bits, LinearQuantization = linear },
            };
        }
    }

    /// <summary>An index of <paramref name="Bits"/> bits into a lookup table per layer fitted by 1-D k-means.</summary>
    /// <param name="Bits">Bits per index, 1 to 8.</param>
    public sealed record KMeans(int Bits) : WeightFormat
    {
        /// <inheritdoc/>
        public override string Name => $"kmeans{Bits.ToString(CultureInfo.InvariantCulture)}";

        /// <inheritdoc/>
        public override int Bits { get; } = Bits;

        /// <inheritdoc/>
        public override int MinimumSpecVersion => 3;

        /// <inheritdoc/>
        public override long SerializedSize(long count, int outputChannels) => QuantizedSize(count, Bits,
            Field(QuantizationParams.LookupTableQuantizationFieldNumber, Field(LookUpTableQuantizationParams.FloatValueFieldNumber, 4L << Bits)));

        internal override WeightParams Encode(ReadOnlySpan<float> values, int outputChannels, string layerName, KMeansQuantizer kmeans)
        {
            var (codes, table) = kmeans.Quantize(values, Bits);
            var lut = new LookUpTableQuantizationParams();
            lut.FloatValue.AddRange(table);
            return new WeightParams
            {
                RawValue = UnsafeByteOperations.UnsafeWrap(BitPacking.Pack(codes, Bits)),
                Quantization = new QuantizationParams { NumberOfBits = (ulong)Bits, LookupTableQuantization = lut },
            };
        }
    }
}
