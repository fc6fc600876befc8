using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's max and average pooling (windowed or global); padding cells never win a max.</summary>
internal sealed class PoolingOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Pooling;

    public string? Problem(Layer layer) =>
        layer.Pooling.Type == PoolingLayerParams.Types.PoolingType.L2 ? "L2 pooling"
        : layer.Pooling.PoolingPaddingTypeCase == PoolingLayerParams.PoolingPaddingTypeOneofCase.None ? "pooling without a padding type"
        : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var p = layer.Pooling;
        var a = inputs[0];
        if (p.GlobalPooling)
        {
            return new InferredShape(new TensorShape(a.C, 1, 1), a.Count, 0);
        }

        var (kh, kw, _, _, g) = Geometry(p, a, site);
        return new InferredShape(Shapes.Map(a.C, g.OutH, g.OutW, site), (long)a.C * g.OutH * g.OutW * Math.Min(kh, a.H) * Math.Min(kw, a.W), 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var p = layer.Pooling;
        var x = inputs[0];
        var max = p.Type == PoolingLayerParams.Types.PoolingType.Max;
        if (p.GlobalPooling)
        {
            var global = context.Output(new TensorShape(x.C, 1, 1));
            Global(x, global, max);
            return global;
        }

        var (kh, kw, sh, sw, g) = Geometry(p, x.Shape, LayerSite.InRun(layer));
        var y = context.Output(new TensorShape(x.C, (int)g.OutH, (int)g.OutW));
        Pool(x, y, (int)kh, (int)kw, (int)sh, (int)sw, g.Pad, max, p.AvgPoolExcludePadding);
        return y;
    }

    /// <summary>The maximum or the mean of each channel into y[c, 0, 0].</summary>
    public static void Global(Tensor x, Tensor y, bool max)
    {
        var plane = x.H * x.W;
        for (var c = 0; c < x.C; c++)
        {
            var s = x.Data.AsSpan(c * plane, plane);
            var acc = max ? float.NegativeInfinity : 0f;
            foreach (var v in s)
            {
                acc = max ? Math.Max(acc, v) : acc + v;
            }

            y.Data[c] = max ? acc : acc / plane;
        }
    }

    /// <summary>
    /// A kh×kw window with strides and padding over each channel; y's size is the output size. Averages divide by
    /// the window's cells, or only those inside the input when <paramref name="excludePadding"/>.
    /// </summary>
    public static void Pool(Tensor x, Tensor y, int kh, int kw, int sh, int sw, Padding pad, bool max, bool excludePadding)
    {
        int outH = y.H, outW = y.W;
        ParallelChunks.For(x.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                var src = x.Data.AsSpan(c * x.H * x.W, x.H * x.W);
                var dst = y.Data.AsSpan(c * outH * outW, outH * outW);
                for (var oy = 0; oy < outH; oy++)
                {
                    int y0 = (oy * sh) - pad.Top, ya = Math.Max(0, y0), yb = Math.Min(x.H, y0 + kh);
                    for (var ox = 0; ox < outW; ox++)
                    {
                        int x0 = (ox * sw) - pad.Left, xa = Math.Max(0, x0), xb = Math.Min(x.W, x0 + kw);

                        // Cells in the padding never win a max (they are -inf) and count as zeros for an average.
                        var acc = max ? float.NegativeInfinity : 0f;
                        for (var iy = ya; iy < yb; iy++)
                        {
                            for (var ix = xa; ix < xb; ix++)
                            {
                                var v = src[(iy * x.W) + ix];
                                acc = max ? Math.Max(acc, v) : acc + v;
                            }
                        }

                        dst[(oy * outW) + ox] = max ? acc : acc / (excludePadding ? Math.Max(1, (yb - ya) * (xb - xa)) : kh * kw);
                    }
                }
            }
        }, minPerChunk: 1);
    }

    private static (long Kh, long Kw, long Sh, long Sw, WindowGeometry Geometry) Geometry(PoolingLayerParams p, TensorShape a, LayerSite site)
    {
        var (kh, kw) = Window.Pair(p.KernelSize, 3, "kernel size", site);
        var (sh, sw) = Window.Pair(p.Stride, 1, "stride", site);
        return (kh, kw, sh, sw, Window.Of(a, kh, kw, sh, sw, p.Valid, p.Same, site));
    }
}
