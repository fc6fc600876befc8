using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's add: the broadcast sum of its inputs, or input + alpha for one input.</summary>
internal sealed class AddOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Add;

    public string? Problem(Layer layer) => null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var shape = Shapes.Broadcast(inputs, site);
        return new InferredShape(shape, shape.Count * inputs.Length, 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context) =>
        Broadcasting.Fold(inputs, layer.Add.Alpha, (a, v) => a + v, LayerSite.InRun(layer), context);
}
