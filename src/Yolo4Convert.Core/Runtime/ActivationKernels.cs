using System.Runtime.Intrinsics;

namespace Yolo4Convert.Runtime;

/// <summary>Vectorised element-wise activations of the runtime (512- or 256-bit, with a scalar tail).</summary>
internal static class ActivationKernels
{
    /// <summary>
    /// mish(x) = x·tanh(softplus(x)) with one exponential: for e = eˣ, tanh(ln(1 + e)) = n / (n + 2) with n = e·(e + 2).
    /// Above 20 softplus(x) = x and tanh rounds to 1 in float, so mish(x) = x there (as in the scalar form).
    /// </summary>
    public static void Mish(ReadOnlySpan<float> x, Span<float> y)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var limit = Vector512.Create(20f);
            var two = Vector512.Create(2f);
            for (; i + 16 <= x.Length; i += 16)
            {
                var v = Vector512.Create(x.Slice(i, 16));
                var e = Vector512.Exp(Vector512.Min(v, limit));
                var n = e * (e + two);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, limit), v, v * n / (n + two)).CopyTo(y.Slice(i, 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(20f);
            var two = Vector256.Create(2f);
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                var e = Vector256.Exp(Vector256.Min(v, limit));
                var n = e * (e + two);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, limit), v, v * n / (n + two)).CopyTo(y.Slice(i, 8));
            }
        }

        for (; i < x.Length; i++)
        {
            var v = x[i];
            var e = MathF.Exp(Math.Min(v, 20f));
            var n = e * (e + 2f);
            y[i] = v > 20f ? v : v * n / (n + 2f);
        }
    }

    /// <summary>y = x for x &gt; 0, else alpha·x.</summary>
    public static void Leaky(ReadOnlySpan<float> x, Span<float> y, float alpha)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a = Vector512.Create(alpha);
            for (; i + 16 <= x.Length; i += 16)
            {
                var v = Vector512.Create(x.Slice(i, 16));
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * a).CopyTo(y.Slice(i, 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(alpha);
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * a).CopyTo(y.Slice(i, 8));
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = x[i] > 0 ? x[i] : alpha * x[i];
        }
    }
}
