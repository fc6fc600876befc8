using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's channel-first reshape to a [C,H,W] (or [1,C,H,W]) target of the same element count.</summary>
internal sealed class ReshapeOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Reshape;

    public string? Problem(Layer layer) =>
        layer.Reshape.Mode != ReshapeLayerParams.Types.ReshapeOrder.ChannelFirst ? "CHANNEL_LAST reshape" : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var shape = Target(layer.Reshape, inputs[0], site);
        return new InferredShape(shape, inputs[0].Count, 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var x = inputs[0];
        var y = context.Output(Target(layer.Reshape, x.Shape, LayerSite.InRun(layer)));
        x.Data.CopyTo(y.Data, 0);
        return y;
    }

    private static TensorShape Target(ReshapeLayerParams p, TensorShape a, LayerSite site)
    {
        var t = p.TargetShape;
        if (t.Count is not (3 or 4) || (t.Count == 4 && t[0] != 1) || t.Any(d => d < 1 || d > int.MaxValue))
        {
            throw site.Bad($"reshapes to [{string.Join(",", t.Take(6))}]; expected a positive [C,H,W] target");
        }

        var shape = Shapes.Map(t[^3], t[^2], t[^1], site);
        return shape.Count != a.Count ? throw site.Bad($"reshapes {a} to {shape}: the element counts differ") : shape;
    }
}
