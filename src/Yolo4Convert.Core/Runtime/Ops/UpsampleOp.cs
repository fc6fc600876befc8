using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's nearest-neighbour upsampling by integer factors.</summary>
internal sealed class UpsampleOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Upsample;

    public string? Problem(Layer layer) =>
        layer.Upsample.Mode != UpsampleLayerParams.Types.InterpolationMode.Nn ? "bilinear upsampling" : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var a = inputs[0];
        var (fh, fw) = Window.Pair(layer.Upsample.ScalingFactor, 1, "scaling factor", site);
        return new InferredShape(Shapes.Map(a.C, a.H * fh, a.W * fw, site), a.Count * fh * fw, 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var x = inputs[0];
        var (fh, fw) = Window.Pair(layer.Upsample.ScalingFactor, 1, "scaling factor", LayerSite.InRun(layer));
        var y = context.Output(new TensorShape(x.C, x.H * (int)fh, x.W * (int)fw));
        Nearest(x, y);
        return y;
    }

    /// <summary>y[c, oy, ox] = x[c, oy / fh, ox / fw] with the factors y's size gives.</summary>
    public static void Nearest(Tensor x, Tensor y)
    {
        int fh = y.H / x.H, fw = y.W / x.W;
        ParallelChunks.For(x.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                for (var oy = 0; oy < y.H; oy++)
                {
                    var src = x.Data.AsSpan((c * x.H * x.W) + (oy / fh * x.W), x.W);
                    var dst = y.Data.AsSpan((c * y.H * y.W) + (oy * y.W), y.W);
                    for (var ox = 0; ox < y.W; ox++)
                    {
                        dst[ox] = src[ox / fw];
                    }
                }
            }
        }, minPerChunk: 1);
    }
}
