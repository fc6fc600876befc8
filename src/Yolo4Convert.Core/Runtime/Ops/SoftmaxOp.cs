using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's softmax, over the channel axis at every pixel.</summary>
internal sealed class SoftmaxOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Softmax;

    public string? Problem(Layer layer) => null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) => new(inputs[0], inputs[0].Count, 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var y = context.Output(inputs[0].Shape);
        OverChannels(inputs[0], y);
        return y;
    }

    /// <summary>y[·, h, w] = softmax(x[·, h, w]), the maximum subtracted first.</summary>
    public static void OverChannels(Tensor x, Tensor y)
    {
        var plane = x.H * x.W;
        for (var i = 0; i < plane; i++)
        {
            var max = float.NegativeInfinity;
            for (var c = 0; c < x.C; c++)
            {
                max = Math.Max(max, x.Data[(c * plane) + i]);
            }

            var sum = 0f;
            for (var c = 0; c < x.C; c++)
            {
                var e = MathF.Exp(x.Data[(c * plane) + i] - max);
                y.Data[(c * plane) + i] = e;
                sum += e;
            }

            for (var c = 0; c < x.C; c++)
            {
                y.Data[(c * plane) + i] /= sum;
            }
        }
    }
}
