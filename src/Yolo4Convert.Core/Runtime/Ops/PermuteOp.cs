using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's permute over the rank-5 layout's [Seq, C, H, W] axes, the sequence axis (of size 1) kept in place.</summary>
internal sealed class PermuteOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Permute;

    public string? Problem(Layer layer)
    {
        var p = layer.Permute;
        return p.Axis.Count != 4 || p.Axis.Order().Select(a => (int)a).SequenceEqual([0, 1, 2, 3]) is false ? "a permute whose axes are no permutation of [0,1,2,3]"
            : p.Axis[0] != 0 ? "a permute that moves the sequence axis"
            : null;
    }

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var shape = Shape(Axes(layer.Permute), inputs[0]);
        return new InferredShape(shape, shape.Count, 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var x = inputs[0];
        var axes = Axes(layer.Permute);
        var y = new Tensor(Shape(axes, x.Shape));
        Transpose(x, y, axes);
        return y;
    }

    /// <summary>Output axis i of [C, H, W] is input axis axes[i] (a permutation of 0, 1, 2).</summary>
    public static void Transpose(Tensor x, Tensor y, int[] axes)
    {
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
    }

    // Output axis i is input axis axes[i]: Core ML's [Seq, C, H, W] axes without the sequence axis.
    private static int[] Axes(PermuteLayerParams p) => [.. p.Axis.Skip(1).Select(a => (int)a - 1)];

    private static TensorShape Shape(int[] axes, TensorShape a)
    {
        int[] d = [a.C, a.H, a.W];
        return new TensorShape(d[axes[0]], d[axes[1]], d[axes[2]]);
    }
}
