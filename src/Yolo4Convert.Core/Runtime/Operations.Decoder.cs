using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime;

/// <summary>The layers of the in-model head decoder: permute, scale and unary functions (all specification 1).</summary>
internal static partial class Operations
{
    private static string? CheckPermute(PermuteLayerParams p) =>
        p.Axis.Count != 4 || p.Axis.Order().Select(a => (int)a).SequenceEqual([0, 1, 2, 3]) is false ? "a permute whose axes are no permutation of [0,1,2,3]"
        : p.Axis[0] != 0 ? "a permute that moves the sequence axis"
        : null;

    // The rank-5 layout's [Seq, C, H, W] axes, Seq = 1 here: output axis i is input axis axis[i].
    private static Tensor Permute(PermuteLayerParams p, Tensor x)
    {
        int[] dims = [x.C, x.H, x.W];
        var axes = p.Axis.Skip(1).Select(a => (int)a - 1).ToArray();
        var y = new Tensor(new TensorShape(dims[axes[0]], dims[axes[1]], dims[axes[2]]));
        int[] strides = [x.H * x.W, x.W, 1];
        var (s0, s1, s2) = (strides[axes[0]], strides[axes[1]], strides[axes[2]]);
        var i = 0;
        for (var a = 0; a < y.C; a++)
        {
            for (var b = 0; b < y.H; b++)
            {
                for (var c = 0; c < y.W; c++)
                {
                    y.Data[i++] = x.Data[(a * s0) + (b * s1) + (c * s2)];
                }
            }
        }

        return y;
    }

    private static string? CheckScale(ScaleLayerParams p)
    {
        static bool Valid(Google.Protobuf.Collections.RepeatedField<ulong> shape, WeightParams? w) =>
            shape.Count is 1 or 3 && w is not null && (ulong)w.FloatValue.Count == shape.Aggregate(1UL, (a, b) => a * b);
        return !Valid(p.ShapeScale, p.Scale) ? "a scale layer whose scale is not float32 of shape [1], [C], [1,H,W] or [C,H,W]"
            : p.HasBias && !Valid(p.ShapeBias, p.Bias) ? "a scale layer whose bias is not float32 of shape [1], [C], [1,H,W] or [C,H,W]"
            : null;
    }

    // y = scale ⊙ x (+ bias), each broadcast from [1], [C], [1,H,W] or [C,H,W].
    private static Tensor Scale(string name, ScaleLayerParams p, Tensor x)
    {
        var scale = Constant(name, p.ShapeScale, p.Scale, x.Shape);
        var bias = p.HasBias ? Constant(name, p.ShapeBias, p.Bias, x.Shape) : null;
        var y = new Tensor(x.Shape);
        for (var i = 0; i < x.Data.Length; i++)
        {
            y.Data[i] = (scale(i) * x.Data[i]) + (bias?.Invoke(i) ?? 0f);
        }

        return y;
    }

    private static Func<int, float> Constant(string name, Google.Protobuf.Collections.RepeatedField<ulong> shape, WeightParams w, TensorShape x)
    {
        var v = w.FloatValue;
        var plane = x.H * x.W;
        return shape.Count switch
        {
            1 when shape[0] == 1 => _ => v[0],
            1 when (int)shape[0] == x.C => i => v[i / plane],
            3 when shape[0] == 1 && (int)shape[1] == x.H && (int)shape[2] == x.W => i => v[i % plane],
            3 when (int)shape[0] == x.C && (int)shape[1] == x.H && (int)shape[2] == x.W => i => v[i],
            _ => throw new DarknetFormatException($"Core ML layer '{name}' scales a {x} blob by a [{string.Join(",", shape)}] constant, which does not broadcast.", null),
        };
    }

    // y = f(scale·x + shift); scale 0 means 1 and epsilon 0 means 1e-6 (proto3 cannot tell 0 from unset).
    private static Tensor Unary(UnaryFunctionLayerParams p, Tensor x)
    {
        var scale = p.Scale == 0 ? 1f : p.Scale;
        var epsilon = p.Epsilon == 0 ? 1e-6f : p.Epsilon;
        var (shift, alpha) = (p.Shift, p.Alpha);
        Func<float, float> f = p.Type switch
        {
            UnaryFunctionLayerParams.Types.Operation.Sqrt => MathF.Sqrt,
            UnaryFunctionLayerParams.Types.Operation.Rsqrt => v => 1f / MathF.Sqrt(v + epsilon),
            UnaryFunctionLayerParams.Types.Operation.Inverse => v => 1f / (v + epsilon),
            UnaryFunctionLayerParams.Types.Operation.Power => v => MathF.Pow(v, alpha),
            UnaryFunctionLayerParams.Types.Operation.Exp => MathF.Exp,
            UnaryFunctionLayerParams.Types.Operation.Log => v => MathF.Log(v + epsilon),
            UnaryFunctionLayerParams.Types.Operation.Abs => MathF.Abs,
            UnaryFunctionLayerParams.Types.Operation.Threshold => v => MathF.Max(v, alpha),
            _ => throw new UnsupportedFeatureException($"unary function {p.Type} is unknown to the runtime.", null),
        };
        return Map(x, v => f((scale * v) + shift));
    }
}
