using CoreML.Specification;
using Google.Protobuf.Collections;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's scale: y = scale ⊙ x (+ bias), each a float32 constant of shape [1], [C], [1,H,W] or [C,H,W].</summary>
internal sealed class ScaleOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Scale;

    public string? Problem(Layer layer)
    {
        static bool Valid(RepeatedField<ulong> shape, WeightParams? w) =>
            shape.Count is 1 or 3 && w is not null && (ulong)w.FloatValue.Count == shape.Aggregate(1UL, (a, b) => a * b);
        var p = layer.Scale;
        return !Valid(p.ShapeScale, p.Scale) ? "a scale layer whose scale is not float32 of shape [1], [C], [1,H,W] or [C,H,W]"
            : p.HasBias && !Valid(p.ShapeBias, p.Bias) ? "a scale layer whose bias is not float32 of shape [1], [C], [1,H,W] or [C,H,W]"
            : null;
    }

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var a = inputs[0];
        CheckConstants(layer.Scale, a, site);
        return new InferredShape(a, a.Count, 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var p = layer.Scale;
        var x = inputs[0];
        CheckConstants(p, x.Shape, LayerSite.InRun(layer));
        var y = new Tensor(x.Shape);
        Affine(x, y, Constant(p.ShapeScale, p.Scale, x.Shape), p.HasBias ? Constant(p.ShapeBias, p.Bias, x.Shape) : null);
        return y;
    }

    /// <summary>y[i] = scale(i)·x[i] + bias(i), the constants given as functions of the flat index.</summary>
    public static void Affine(Tensor x, Tensor y, Func<int, float> scale, Func<int, float>? bias)
    {
        for (var i = 0; i < x.Data.Length; i++)
        {
            y.Data[i] = (scale(i) * x.Data[i]) + (bias?.Invoke(i) ?? 0f);
        }
    }

    // Core ML's scale broadcasts a [1], [C], [1,H,W] or [C,H,W] constant.
    private static bool Fits(RepeatedField<ulong> c, TensorShape a) => c.Count == 1 ? c[0] == 1 || (long)c[0] == a.C
        : c.Count == 3 && (c[0] == 1 || (long)c[0] == a.C) && (long)c[1] == a.H && (long)c[2] == a.W;

    private static void CheckConstants(ScaleLayerParams p, TensorShape a, LayerSite site)
    {
        if (!Fits(p.ShapeScale, a) || (p.HasBias && !Fits(p.ShapeBias, a)))
        {
            throw site.Bad($"scales a {a} blob by [{string.Join(",", p.ShapeScale)}] (bias [{string.Join(",", p.ShapeBias)}]); expected [1], [C], [1,H,W] or [C,H,W] of that blob");
        }
    }

    // The constant's value at a flat index of x, for a shape that fits (see Fits).
    private static Func<int, float> Constant(RepeatedField<ulong> shape, WeightParams w, TensorShape x)
    {
        var v = w.FloatValue;
        var plane = x.H * x.W;
        return shape.Count == 1 ? (shape[0] == 1 ? _ => v[0] : i => v[i / plane])
            : shape[0] == 1 ? i => v[i % plane]
            : i => v[i];
    }
}
