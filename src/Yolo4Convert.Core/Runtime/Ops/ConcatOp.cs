using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's concat along the channel axis of maps of one size.</summary>
internal sealed class ConcatOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Concat;

    public string? Problem(Layer layer) => layer.Concat.SequenceConcat ? "sequence concat" : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) =>
        new(Shape(inputs, site), inputs.Sum(t => t.Count), 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var y = context.Output(Shape([.. inputs.Select(t => t.Shape)], LayerSite.InRun(layer)));
        var offset = 0;
        foreach (var t in inputs)
        {
            t.Data.CopyTo(y.Data, offset);
            offset += t.Data.Length;
        }

        return y;
    }

    private static TensorShape Shape(TensorShape[] x, LayerSite site)
    {
        var a = x[0];
        return x.Any(t => t.H != a.H || t.W != a.W)
            ? throw site.Bad($"concatenates maps of different sizes: {string.Join(", ", x)}")
            : Shapes.Map(x.Sum(t => (long)t.C), a.H, a.W, site);
    }
}
