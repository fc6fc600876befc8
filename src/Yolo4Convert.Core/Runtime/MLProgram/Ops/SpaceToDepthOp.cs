using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime.Ops;

namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's space_to_depth on [1, C, H, W]: output channel (dy·b + dx)·C + c holds x[c, y·b + dy, x·b + dx].</summary>
internal sealed class SpaceToDepthOp : IMilOp
{
    public IEnumerable<string> Types => ["space_to_depth"];

    public int[] Infer(MilCall call)
    {
        var x = SpatialWindow.Map(call);
        var b = call.Int("block_size");
        return b is >= 1 and <= SpatialWindow.Max && x.Dims[2] % b == 0 && x.Dims[3] % b == 0
            ? [1, x.Dims[1] * b * b, x.Dims[2] / b, x.Dims[3] / b]
            : throw call.Bad($"moves {b}x{b} blocks of {x.ShapeText}; expected height and width divisible by the block size");
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var d = call.OutputDims;
        var y = new Tensor(new TensorShape(d[1], d[2], d[3]));
        ReorganizeDataOp.Blocks(new Tensor(new TensorShape(x.Dims[1], x.Dims[2], x.Dims[3]), x.Data), y, call.Int("block_size"), toDepth: true);
        return y.Data;
    }
}

/// <summary>MIL's softmax along one axis (default −1).</summary>
internal sealed class SoftmaxOp : IMilOp
{
    public IEnumerable<string> Types => ["softmax"];

    public int[] Infer(MilCall call)
    {
        var x = call.Tensor("x");
        _ = call.Axis(call.Int("axis", -1), x.Rank, "axis");
        return x.Dims;
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var axis = call.Axis(call.Int("axis", -1), x.Rank, "axis");
        var n = x.Dims[axis];
        var inner = MilShapes.Product(x.Dims, axis + 1, x.Rank);
        var outer = MilShapes.Product(x.Dims, 0, axis);
        var data = x.Data!;
        var result = new float[data.Length];
        for (var o = 0L; o < outer; o++)
        {
            for (var i = 0L; i < inner; i++)
            {
                var start = (o * n * inner) + i;
                var max = float.NegativeInfinity;
                for (var k = 0; k < n; k++)
                {
                    max = MathF.Max(max, data[start + (k * inner)]);
                }

                var sum = 0f;
                for (var k = 0; k < n; k++)
                {
                    sum += result[start + (k * inner)] = MathF.Exp(data[start + (k * inner)] - max);
                }

                for (var k = 0; k < n; k++)
                {
                    result[start + (k * inner)] /= sum;
                }
            }
        }

        return result;
    }
}
