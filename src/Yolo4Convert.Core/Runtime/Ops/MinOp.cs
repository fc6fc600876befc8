using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's min: the element-wise minimum of same-shaped inputs.</summary>
internal sealed class MinOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Min;

    public string? Problem(Layer layer) => null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) =>
        new(Shapes.Equal(inputs, site), inputs[0].Count * inputs.Length, 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var y = context.Output(Shapes.Equal([.. inputs.Select(t => t.Shape)], LayerSite.InRun(layer)));
        inputs[0].Data.CopyTo(y.Data, 0);
        foreach (var t in inputs.Skip(1))
        {
            Broadcasting.Apply(t, y, Math.Min);
        }

        return y;
    }
}
