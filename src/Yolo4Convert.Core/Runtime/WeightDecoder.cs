using CoreML.Specification;
using Yolo4Convert.CoreML.Precision;

namespace Yolo4Convert.Runtime;

/// <summary>
/// Turns a WeightParams of any stored format (float32, float16, linear or lookup-table quantized) back into float32
/// at load time, so the layers themselves only ever see float arrays.
/// </summary>
internal static class WeightDecoder
{
    /// <summary>Why the weights cannot be decoded to <paramref name="count"/> values, or null when they can.</summary>
    /// <param name="w">The stored weights.</param>
    /// <param name="count">The number of values the layer needs.</param>
    /// <param name="channels">The output channels (the length of per-channel linear scales).</param>
    public static string? Problem(WeightParams? w, long count, long channels)
    {
        if (w is null)
        {
            return "missing weights";
        }

        var fields = (w.FloatValue.Count > 0 ? 1 : 0) + (w.Float16Value.Length > 0 ? 1 : 0) + (w.RawValue.Length > 0 ? 1 : 0);
        if (fields != 1)
        {
            return fields == 0 ? "no weight values" : "weights in more than one format";
        }

        if (w.FloatValue.Count > 0)
        {
            return w.FloatValue.Count == count ? null : $"{w.FloatValue.Count} float32 weights where {count} are needed";
        }

        if (w.Float16Value.Length > 0)
        {
            return w.Float16Value.Length == 2 * count ? null : $"{w.Float16Value.Length / 2} float16 weights where {count} are needed";
        }

        var q = w.Quantization;
        if (q is null || q.NumberOfBits is < 1 or > 8)
        {
            return "quantized weights without a valid numberOfBits (1..8)";
        }

        var bits = (int)q.NumberOfBits;
        if (w.RawValue.Length < BitPacking.ByteCount(count, bits))
        {
            return $"{w.RawValue.Length} bytes of {bits}-bit weights where {count} weights need {BitPacking.ByteCount(count, bits)}";
        }

        return q.QuantizationTypeCase switch
        {
            QuantizationParams.QuantizationTypeOneofCase.LinearQuantization =>
                q.LinearQuantization.Scale.Count is var s && (s == 1 || s == channels) && (q.LinearQuantization.Bias.Count == 0 || q.LinearQuantization.Bias.Count == s)
                    ? null : "linear quantization whose scale/bias counts are neither 1 nor the output channels",
            QuantizationParams.QuantizationTypeOneofCase.LookupTableQuantization =>
                q.LookupTableQuantization.FloatValue.Count == 1 << bits ? null : $"a lookup table of {q.LookupTableQuantization.FloatValue.Count} entries for {bits}-bit indices",
            _ => "quantized weights without a quantization type",
        };
    }

    /// <summary>Decodes weights that passed <see cref="Problem"/>.</summary>
    public static float[] Decode(WeightParams w, int count, int channels)
    {
        if (w.FloatValue.Count > 0)
        {
            return [.. w.FloatValue];
        }

        var result = new float[count];
        if (w.Float16Value.Length > 0)
        {
            var bytes = w.Float16Value.Span;
            for (var i = 0; i < count; i++)
            {
                result[i] = (float)BitConverter.UInt16BitsToHalf((ushort)(bytes[2 * i] | (bytes[(2 * i) + 1] << 8)));
            }

            return result;
        }

        var q = w.Quantization;
        var codes = BitPacking.Unpack(w.RawValue.Span, (int)q.NumberOfBits, count);
        if (q.QuantizationTypeCase == QuantizationParams.QuantizationTypeOneofCase.LookupTableQuantization)
        {
            var table = q.LookupTableQuantization.FloatValue;
            for (var i = 0; i < count; i++)
            {
                result[i] = table[codes[i]];
            }

            return result;
        }

        var linear = q.LinearQuantization;
        var per = linear.Scale.Count == 1 ? count : count / channels;
        for (var i = 0; i < count; i++)
        {
            var c = i / per;
            result[i] = (codes[i] * linear.Scale[c]) + (linear.Bias.Count > 0 ? linear.Bias[c] : 0f);
        }

        return result;
    }
}
