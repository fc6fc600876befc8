using CoreML.Specification.MILSpec;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Weights;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>How one convolution's kernel is stored in weight.bin: its format and its blobs in file order.</summary>
/// <param name="Format">fp32 or fp16 (one blob of the values), linear8 (codes, scales, zero points) or kmeansN (packed indices, table).</param>
/// <param name="Slots">The kernel's blobs, in the order <see cref="KernelStorage.Encode"/> fills them.</param>
/// <param name="Dense">The dtype of the kernel the program computes with (of its values, scales or table).</param>
internal sealed record KernelBlobs(WeightFormat Format, IReadOnlyList<BlobSlot> Slots, DataType Dense)
{
    /// <summary>The bytes the kernel takes in weight.bin (data only, without the blob records).</summary>
    public long Bytes => Slots.Sum(s => s.SizeInBytes);
}

/// <summary>
/// The ML Program's weight compression: a convolution kernel as a plain <c>const</c> blob of the program's float
/// dtype, or (iOS16's constexpr ops, whose parameters are attributes in CoreML6/CoreML7 programs) as
/// <c>constexpr_affine_dequantize</c> over per-output-channel uint8 codes or <c>constexpr_lut_to_dense</c> over a
/// per-layer k-means table. The codes and tables come from the same encoders as the .mlmodel's quantized formats
/// (<see cref="LinearQuantizer"/>, <see cref="KMeansQuantizer"/>); scales and tables are stored in the program's
/// dtype, because an iOS16 conv needs its weight in the dtype of its input. Every blob's size follows from the
/// counts, so the file is laid out before any value is read.
/// </summary>
internal static class KernelStorage
{
    /// <summary>The lowest target that can express <paramref name="format"/>.</summary>
    public static MLProgramTarget MinimumTarget(WeightFormat format) => format.IsQuantized ? MLProgramTarget.IOS16 : MLProgramTarget.IOS15;

    /// <summary>
    /// Lays out the kernel's blobs after the others and adds the op that gives the program the dense kernel of
    /// <paramref name="shape"/> (OIHW) in the compute dtype; returns that value's name and the blobs.
    /// </summary>
    public static (string Value, KernelBlobs Blobs) Emit(MilBlockBuilder b, BlobLayout blobs, string name, WeightFormat format, long[] shape)
    {
        var count = shape.Aggregate(1L, (a, d) => a * d);
        var filters = shape[0];
        var dense = MilBlockBuilder.Tensor(b.Compute, shape);
        switch (format)
        {
            case WeightFormat.Linear { Bits: 8 }:
                {
                    var codes = blobs.Add(DataType.Uint8, count);
                    var scale = blobs.Add(b.Compute, filters);
                    var zero = blobs.Add(DataType.Float32, filters);
                    var value = b.Constexpr("constexpr_affine_dequantize", name, dense,
                        ("quantized_data", blobs.Reference(codes, shape)),
                        ("zero_point", blobs.Reference(zero, filters)),
                        ("scale", blobs.Reference(scale, filters)),
                        ("axis", MilBlockBuilder.IntValue(0)));
                    return (value, new KernelBlobs(format, [codes, scale, zero], b.Compute));
                }

            case WeightFormat.KMeans { Bits: 1 or 2 or 4 or 6 or 8 } kmeans:
                {
                    var indices = blobs.Add(DataType.Uint8, BitPacking.ByteCount(count, kmeans.Bits));
                    var lut = blobs.Add(b.Compute, 1L << kmeans.Bits);
                    var value = b.Constexpr("constexpr_lut_to_dense", name, dense,
                        ("indices", blobs.Reference(indices, indices.Count)),
                        ("lut", blobs.Reference(lut, lut.Count)),
                        ("shape", MilBlockBuilder.UInt32Value(shape)));
                    return (value, new KernelBlobs(format, [indices, lut], b.Compute));
                }

            case WeightFormat.IeeeSingle or WeightFormat.IeeeHalf:
                {
                    var slot = blobs.Add(b.Compute, count);
                    return (b.Const(name, blobs.Reference(slot, shape)), new KernelBlobs(format, [slot], b.Compute));
                }

            default:
                throw new InvalidOperationException($"no ML Program storage for {format.Name} kernels");
        }
    }

    /// <summary>
    /// The contents of a compressed kernel's blobs, in file order, from its batch-norm-folded float kernel (OIHW,
    /// <paramref name="filters"/> output channels). Float kernels are streamed by the writer instead.
    /// </summary>
    public static IEnumerable<byte[]> Encode(KernelBlobs kernel, ReadOnlySpan<float> folded, int filters, string name, KMeansQuantizer kmeans)
    {
        var half = kernel.Dense == DataType.Float16;
        switch (kernel.Format)
        {
            case WeightFormat.Linear { Bits: 8 }:
                {
                    var (codes, scale, minimum) = LinearQuantizer.Quantize(folded, filters, 8);
                    var zero = Affine(codes, scale, minimum, folded.Length / filters, half);
                    return [codes, Floats(scale, half, name + "_scale"), Floats(zero, false, name + "_zero_point")];
                }

            case WeightFormat.KMeans k:
                {
                    var (codes, table) = kmeans.Quantize(folded, k.Bits);
                    return [BitPacking.PackLsbFirst(codes, k.Bits), Floats(table, half, name + "_lut")];
                }

            default:
                throw new InvalidOperationException($"{kernel.Format.Name} kernels are streamed, not encoded whole");
        }
    }

    // LinearQuantizer's w ≈ q·scale + min becomes the op's scale·(q − zero_point) with zero_point = −min/scale, the
    // scale first rounded to the stored dtype so that q = 0 still gives the channel's minimum. A channel whose scale is
    // 0 there (constant, or a range below fp16's smallest step) keeps only its minimum: scale |min| (1 for 0), codes 0.
    private static float[] Affine(byte[] codes, float[] scale, float[] minimum, int perFilter, bool half)
    {
        var zero = new float[scale.Length];
        for (var o = 0; o < scale.Length; o++)
        {
            var stored = half ? (float)(Half)scale[o] : scale[o];
            if (stored == 0f)
            {
                stored = minimum[o] == 0f ? 1f : Math.Abs(minimum[o]);
                stored = half ? (float)(Half)stored : stored;
                codes.AsSpan(o * perFilter, perFilter).Clear();
            }

            scale[o] = stored;
            zero[o] = -minimum[o] / stored;
        }

        return zero;
    }

    private static byte[] Floats(float[] values, bool half, string name)
    {
        if (half)
        {
            return HalfPrecision.Encode(values, name);
        }

        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }
}
