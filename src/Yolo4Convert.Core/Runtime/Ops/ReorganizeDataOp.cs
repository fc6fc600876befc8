using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's reorganizeData: space to depth and depth to space in blocks.</summary>
internal sealed class ReorganizeDataOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.ReorganizeData;

    public string? Problem(Layer layer) => null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) =>
        new(Shape(layer.ReorganizeData, inputs[0], site), inputs[0].Count, 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var p = layer.ReorganizeData;
        var x = inputs[0];
        var toDepth = p.Mode == ReorganizeDataLayerParams.Types.ReorganizationType.SpaceToDepth;
        var shape = Shape(p, x.Shape, LayerSite.InRun(layer));
        var y = toDepth ? context.Output(shape) : new Tensor(shape);
        Blocks(x, y, (int)p.BlockSize, toDepth);
        return y;
    }

    /// <summary>
    /// SPACE_TO_DEPTH: y[(dy·bs + dx)·C + c, h, w] = x[c, h·bs + dy, w·bs + dx]; DEPTH_TO_SPACE the inverse.
    /// </summary>
    public static void Blocks(Tensor x, Tensor y, int bs, bool toDepth)
    {
        var (small, large) = toDepth ? (y, x) : (x, y);
        var c0 = large.C;
        for (var oc = 0; oc < small.C; oc++)
        {
            var c = oc % c0;
            var block = oc / c0;
            int dy = block / bs, dx = block % bs;
            for (var h = 0; h < small.H; h++)
            {
                for (var w = 0; w < small.W; w++)
                {
                    var si = (((oc * small.H) + h) * small.W) + w;
                    var li = (((c * large.H) + (h * bs) + dy) * large.W) + (w * bs) + dx;
                    if (toDepth)
                    {
                        y.Data[si] = x.Data[li];
                    }
                    else
                    {
                        y.Data[li] = x.Data[si];
                    }
                }
            }
        }
    }

    private static TensorShape Shape(ReorganizeDataLayerParams p, TensorShape a, LayerSite site)
    {
        if (p.BlockSize is < 1 or > CoreMLModelValidator.MaxWindow)
        {
            throw site.Bad($"has blockSize={p.BlockSize}; expected 1 to {CoreMLModelValidator.MaxWindow}");
        }

        var bs = (int)p.BlockSize;
        if (p.Mode == ReorganizeDataLayerParams.Types.ReorganizationType.SpaceToDepth)
        {
            return a.H % bs != 0 || a.W % bs != 0
                ? throw site.Bad($"moves {bs}x{bs} blocks of {a} to depth; expected height and width divisible by {bs}")
                : Shapes.Map((long)a.C * bs * bs, a.H / bs, a.W / bs, site);
        }

        return a.C % ((long)bs * bs) != 0
            ? throw site.Bad($"moves depth of {a} to {bs}x{bs} blocks; expected channels divisible by {bs * bs}")
            : Shapes.Map(a.C / ((long)bs * bs), (long)a.H * bs, (long)a.W * bs, site);
    }
}
