namespace Yolo4Convert.CoreML.Precision;

/// <summary>
/// Per-output-channel linear quantization: w ≈ q·scale + bias with q in 0..2^bits−1, bias = the channel's minimum and
/// scale = (max − min) / (2^bits − 1), so the channel's range maps onto the full code range and every weight is within
/// scale/2 of its code (Core ML's LinearQuantizationParams; the formula is the spec's, the choice of range ours).
/// </summary>
internal static class LinearQuantizer
{
    /// <summary>Quantizes an OIHW kernel with one scale and bias per output channel.</summary>
    public static (byte[] Codes, float[] Scale, float[] Bias) Quantize(ReadOnlySpan<float> kernel, int channels, int bits)
    {
        var levels = (1 << bits) - 1;
        var per = kernel.Length / channels;
        var codes = new byte[kernel.Length];
        var scale = new float[channels];
        var bias = new float[channels];
        for (var o = 0; o < channels; o++)
        {
            var w = kernel.Slice(o * per, per);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (var v in w)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            var s = (float)(((double)max - min) / levels);
            scale[o] = s;
            bias[o] = min;
            for (var i = 0; i < per; i++)
            {
                // The nearest code for the stored (float) scale; ties to even, so the result depends on nothing else.
                var q = s == 0f ? 0 : Math.Round(((double)w[i] - min) / s, MidpointRounding.ToEven);
                codes[(o * per) + i] = (byte)Math.Clamp(q, 0, levels);
            }
        }

        return (codes, scale, bias);
    }
}
