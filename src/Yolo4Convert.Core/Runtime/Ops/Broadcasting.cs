using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>The evaluation of add, multiply and min: inputs folded into one output with Core ML's broadcasting.</summary>
internal static class Broadcasting
{
    /// <summary>
    /// y = x₀ ∘ x₁ ∘ … with each input broadcast to the common shape (<see cref="Shapes.Broadcast"/>); a single
    /// input is combined with <paramref name="alpha"/> instead.
    /// </summary>
    public static Tensor Fold(Tensor[] inputs, float alpha, Func<float, float, float> op, LayerSite site, RunContext context)
    {
        if (inputs.Length == 1)
        {
            return Pointwise.Map(inputs[0], v => op(v, alpha), context);
        }

        var y = context.Output(Shapes.Broadcast([.. inputs.Select(t => t.Shape)], site));
        Apply(inputs[0], y, (_, v) => v);
        foreach (var t in inputs.Skip(1))
        {
            Apply(t, y, op);
        }

        return y;
    }

    /// <summary>dst = op(dst, src) with src broadcast from [C,H,W], [C,1,1], [1,H,W] or [1,1,1] to dst's shape.</summary>
    public static void Apply(Tensor src, Tensor dst, Func<float, float, float> op)
    {
        var plane = dst.H * dst.W;
        if (src.Shape == dst.Shape)
        {
            ParallelChunks.For(dst.Data.Length, (a, b) =>
            {
                for (var i = a; i < b; i++)
                {
                    dst.Data[i] = op(dst.Data[i], src.Data[i]);
                }
            });
            return;
        }

        ParallelChunks.For(dst.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                for (var i = 0; i < plane; i++)
                {
                    var sc = src.C == 1 ? 0 : c;
                    var si = src.H == 1 && src.W == 1 ? 0 : i;
                    dst.Data[(c * plane) + i] = op(dst.Data[(c * plane) + i], src.Data[(sc * src.H * src.W) + si]);
                }
            }
        }, minPerChunk: 1);
    }
}
