using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;
using SliceAxis = CoreML.Specification.SliceLayerParams.Types.SliceAxis;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's slice along the channel, height or width axis, with negative indices from the end and a stride.</summary>
internal sealed class SliceOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Slice;

    public string? Problem(Layer layer) => layer.Slice.Stride < 1 ? "a slice with stride 0" : null;

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var shape = Range(layer.Slice, inputs[0], site).Shape;
        return new InferredShape(shape, shape.Count, 0);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var x = inputs[0];
        var (shape, start) = Range(layer.Slice, x.Shape, LayerSite.InRun(layer));
        var y = context.Output(shape);
        Pick(x, y, (int)layer.Slice.Axis, (int)start, (int)layer.Slice.Stride);
        return y;
    }

    /// <summary>y = x[start::stride] along axis 0 (C), 1 (H) or 2 (W); y's shape gives the count.</summary>
    public static void Pick(Tensor x, Tensor y, int axis, int start, int stride)
    {
        for (var c = 0; c < y.C; c++)
        {
            for (var h = 0; h < y.H; h++)
            {
                for (var w = 0; w < y.W; w++)
                {
                    var (sc, sh, sw) = axis switch
                    {
                        0 => (start + (c * stride), h, w),
                        1 => (c, start + (h * stride), w),
                        _ => (c, h, start + (w * stride)),
                    };
                    y.Data[(((c * y.H) + h) * y.W) + w] = x.Data[(((sc * x.H) + sh) * x.W) + sw];
                }
            }
        }
    }

    // The output shape and the first index taken.
    private static (TensorShape Shape, long Start) Range(SliceLayerParams p, TensorShape a, LayerSite site)
    {
        var size = p.Axis switch
        {
            SliceAxis.ChannelAxis => a.C,
            SliceAxis.HeightAxis => a.H,
            SliceAxis.WidthAxis => a.W,
            _ => throw site.Bad($"slices along axis {(int)p.Axis}; expected channel, height or width"),
        };
        var start = p.StartIndex < 0 ? p.StartIndex + size : p.StartIndex;
        var end = p.EndIndex < 0 ? p.EndIndex + size : Math.Min(p.EndIndex, size);
        if (p.Stride is < 1 or > CoreMLModelValidator.MaxWindow || start < 0 || start >= size || end <= start)
        {
            throw site.Bad($"slices [{p.StartIndex}, {p.EndIndex}) with stride {p.Stride} from {size}; expected 0 <= start < end <= {size} and a stride from 1 to {CoreMLModelValidator.MaxWindow}");
        }

        var count = (int)((end - start + (long)p.Stride - 1) / (long)p.Stride);
        var shape = p.Axis switch
        {
            SliceAxis.ChannelAxis => a with { C = count },
            SliceAxis.HeightAxis => a with { H = count },
            _ => a with { W = count },
        };
        return (shape, start);
    }
}
