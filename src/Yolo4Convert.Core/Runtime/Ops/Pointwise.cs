using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Element-wise evaluation of one tensor into a pooled output, in parallel chunks.</summary>
internal static class Pointwise
{
    /// <summary>A function over a chunk of values (a vectorised kernel such as <see cref="ActivationKernels.Mish"/>).</summary>
    public delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>y = f(x) value by value.</summary>
    public static Tensor Map(Tensor x, Func<float, float> f, RunContext context)
    {
        var y = context.Output(x.Shape);
        ParallelChunks.For(x.Data.Length, (a, b) =>
        {
            var src = x.Data.AsSpan(a, b - a);
            var dst = y.Data.AsSpan(a, b - a);
            for (var i = 0; i < src.Length; i++)
            {
                dst[i] = f(src[i]);
            }
        });
        return y;
    }

    /// <summary>y = f(x) a chunk at a time.</summary>
    public static Tensor MapSpans(Tensor x, SpanMap f, RunContext context)
    {
        var y = context.Output(x.Shape);
        ParallelChunks.For(x.Data.Length, (a, b) => f(x.Data.AsSpan(a, b - a), y.Data.AsSpan(a, b - a)));
        return y;
    }
}
