using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;
using Operation = CoreML.Specification.UnaryFunctionLayerParams.Types.Operation;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's unary function layer: y = f(scale·x + shift) for sqrt, rsqrt, inverse, power, exp, log, abs and threshold.</summary>
internal sealed class UnaryOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Unary;

    public string? Problem(Layer layer) => layer.Unary.Type > Operation.Threshold ? "an unknown unary function" : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site) => new(inputs[0], inputs[0].Count, 0);

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        // Scale 0 means 1 and epsilon 0 means 1e-6 (proto3 cannot tell 0 from unset).
        var p = layer.Unary;
        var f = Function(p.Type, p.Epsilon == 0 ? 1e-6f : p.Epsilon, p.Alpha);
        var scale = p.Scale == 0 ? 1f : p.Scale;
        var shift = p.Shift;
        return Pointwise.Map(inputs[0], v => f((scale * v) + shift), context);
    }

    /// <summary>The function of an operation, with its epsilon (rsqrt, inverse, log) and alpha (power, threshold).</summary>
    public static Func<float, float> Function(Operation operation, float epsilon, float alpha) => operation switch
    {
        Operation.Sqrt => MathF.Sqrt,
        Operation.Rsqrt => v => 1f / MathF.Sqrt(v + epsilon),
        Operation.Inverse => v => 1f / (v + epsilon),
        Operation.Power => v => MathF.Pow(v, alpha),
        Operation.Exp => MathF.Exp,
        Operation.Log => v => MathF.Log(v + epsilon),
        Operation.Abs => MathF.Abs,
        Operation.Threshold => v => MathF.Max(v, alpha),
        _ => throw new UnsupportedFeatureException($"unary function {operation} is unknown to the runtime.", null),
    };
}
