using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.CoreML.Precision;

/// <summary>float32 → IEEE binary16, little-endian, as Core ML's float16Value stores it.</summary>
internal static class HalfPrecision
{
    /// <summary>The largest finite half.</summary>
    public const float Max = 65504f;

    // The smallest magnitude that rounds to infinity: halfway between 65504 and the next step (65536).
    private const float OverflowThreshold = 65520f;

    /// <summary>
    /// Writes each value as a half, rounded to nearest even (System.Half's conversion from float). The input is the
    /// folded kernel exactly as the float32 model stores it (folded in double, rounded once to float), so the fp16
    /// model holds the correctly rounded half of every fp32 weight; rounding double → half directly could differ
    /// from that in rare ties, and would no longer be "the fp32 model, rounded".
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<float> values, string layerName)
    {
        var bytes = new byte[values.Length * 2];
        Encode(values, bytes, layerName, 0);
        return bytes;
    }

    /// <summary>
    /// Encodes <paramref name="values"/> into <paramref name="destination"/> (2 bytes each); <paramref name="firstIndex"/>
    /// is the index of the first value in its layer, for the message of a value out of range.
    /// </summary>
    public static void Encode(ReadOnlySpan<float> values, Span<byte> destination, string layerName, long firstIndex)
    {
        // The vectorised conversion rounds exactly as the (Half) cast does; values that could round to infinity
        // (|v| ≥ 65520, NaN included, since MaxMagnitude returns it) take the checked scalar path, which also keeps
        // NaN payloads as the cast converts them.
        if (BitConverter.IsLittleEndian && values.Length > 0 && TensorPrimitives.MaxMagnitude(values) is var max && max < OverflowThreshold)
        {
            TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(destination[..(2 * values.Length)]));
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            var h = (Half)values[i];
            if (Half.IsInfinity(h) && !float.IsInfinity(values[i]))
            {
                throw new UnsupportedFeatureException(
                    $"Core ML layer '{layerName}' has a folded weight {values[i]:R} (index {firstIndex + i}) beyond half precision's range (±{Max}).", null,
                    "convert without --precision fp16, or check the weights (an exploding batch-norm variance?).");
            }

            BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], h);
        }
    }

    /// <summary>Rounds every value to the nearest half in place (the runtime's half-precision emulation).</summary>
    public static void Round(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(Half)values[i];
        }
    }
}
