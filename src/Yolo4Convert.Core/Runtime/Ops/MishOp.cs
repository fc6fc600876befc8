using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>The custom layer of class 'Mish' that --mish custom writes: x·tanh(softplus(x)).</summary>
internal sealed class MishOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Custom;

    public string? Problem(Layer layer) =>
        layer.Custom.ClassName == "Mish" ? null : $"custom layer class '{Echo.Of(layer.Custom.ClassName)}' (only 'Mish' is known)";

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) => new(inputs[0], inputs[0].Count, 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context) => Pointwise.MapSpans(inputs[0], ActivationKernels.Mish, context);
}
