using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's activation layer: linear, ReLU, leaky ReLU, tanh, sigmoid, ELU and softplus.</summary>
internal sealed class ActivationOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Activation;

    public string? Problem(Layer layer) =>
        layer.Activation.NonlinearityTypeCase == ActivationParams.NonlinearityTypeOneofCase.None ? "an activation without a type" : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) => new(inputs[0], inputs[0].Count, 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var p = layer.Activation;
        var x = inputs[0];
        switch (p.NonlinearityTypeCase)
        {
            case ActivationParams.NonlinearityTypeOneofCase.Linear:
                {
                    float a = p.Linear.Alpha, b = p.Linear.Beta;
                    return Pointwise.Map(x, v => (a * v) + b, context);
                }

            case ActivationParams.NonlinearityTypeOneofCase.ReLU:
                return Pointwise.Map(x, v => Math.Max(v, 0f), context);
            case ActivationParams.NonlinearityTypeOneofCase.LeakyReLU:
                {
                    var a = p.LeakyReLU.Alpha;
                    return Pointwise.MapSpans(x, (src, dst) => ActivationKernels.Leaky(src, dst, a), context);
                }

            case ActivationParams.NonlinearityTypeOneofCase.Tanh:
                return Pointwise.Map(x, MathF.Tanh, context);
            case ActivationParams.NonlinearityTypeOneofCase.Sigmoid:
                return Pointwise.Map(x, Sigmoid, context);
            case ActivationParams.NonlinearityTypeOneofCase.ELU:
                {
                    var a = p.ELU.Alpha;
                    return Pointwise.Map(x, v => Elu(v, a), context);
                }

            case ActivationParams.NonlinearityTypeOneofCase.Softplus:
                return Pointwise.Map(x, Softplus, context);
            default:
                throw new InvalidOperationException($"unchecked activation {p.NonlinearityTypeCase}");
        }
    }

    /// <summary>log(1 + eˣ), exact in float outside ±20.</summary>
    public static float Softplus(float v) => v > 20f ? v : v < -20f ? MathF.Exp(v) : MathF.Log(1f + MathF.Exp(v));

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    /// <summary>x for x ≥ 0, else α(eˣ − 1).</summary>
    public static float Elu(float v, float alpha) => v >= 0 ? v : alpha * (MathF.Exp(v) - 1f);
}
