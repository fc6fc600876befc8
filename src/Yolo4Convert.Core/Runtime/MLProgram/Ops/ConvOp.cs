using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime.Ops;

namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>
/// MIL's conv on a [1, C, H, W] map with a constant [C_out, C_in/groups, k, k] weight, optional bias, strides,
/// dilations, groups and any pad_type; runs on the NeuralNetwork runtime's packed kernels.
/// </summary>
internal sealed class ConvOp : IMilOp
{
    public IEnumerable<string> Types => ["conv"];

    public int[] Infer(MilCall call)
    {
        var x = SpatialWindow.Map(call);
        var w = call.Tensor("weight");
        if (w.Data is null)
        {
            throw new UnsupportedFeatureException($"ML Program operation '{Echo.Of(call.Name)}' (conv) has a weight computed at run time; the runtime runs convolutions with constant weights.", null);
        }

        var groups = call.Int("groups", 1);
        if (w.Rank != 4 || groups < 1 || x.Dims[1] % groups != 0 || x.Dims[1] / groups != w.Dims[1] || w.Dims[0] % groups != 0)
        {
            throw call.Bad($"convolves {x.ShapeText} with weight {w.ShapeText} in {groups} groups; expected weight [C_out, C_in/groups, kH, kW]");
        }

        if (w.Dims[2] != w.Dims[3] || SpatialWindow.Pair(call, "dilations", 1) is var d && d.H != d.W)
        {
            throw new UnsupportedFeatureException($"ML Program operation '{Echo.Of(call.Name)}' (conv) has a non-square kernel or dilation; the runtime runs square ones.", null);
        }

        if (call.Optional("bias") is { } bias && (bias.Data is null || bias.Count != w.Dims[0]))
        {
            throw call.Bad($"has a bias of shape {bias.ShapeText}; expected a constant [{w.Dims[0]}]");
        }

        var g = Geometry(call, x, w);
        return [1, w.Dims[0], (int)g.OutH, (int)g.OutW];
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var w = call.Input("weight");
        var groups = call.Int("groups", 1);
        var (d, _) = SpatialWindow.Pair(call, "dilations", 1);
        var (sh, sw) = SpatialWindow.Pair(call, "strides", 1);
        var g = Geometry(call, x, w);
        var outC = w.Dims[0];
        var kernel = context.KernelOf(call.Op, () => ConvKernel.FromValues(w.Data!, call.Optional("bias")?.Data, outC, w.Dims[1] * w.Dims[2] * w.Dims[3], groups,
            groups > 1 && w.Dims[1] == 1 && outC == groups));
        var input = new Tensor(new TensorShape(x.Dims[1], x.Dims[2], x.Dims[3]), x.Data);
        var output = new Tensor(new TensorShape(outC, (int)g.OutH, (int)g.OutW));
        ConvolutionOp.Convolve(input, output, kernel, w.Dims[2], sh, sw, d, g.Pad, groups);
        return output.Data;
    }

    private static WindowGeometry Geometry(MilCall call, MilValue x, MilValue w)
    {
        var (sh, sw) = SpatialWindow.Pair(call, "strides", 1);
        var (d, _) = SpatialWindow.Pair(call, "dilations", 1);
        var k = ((w.Dims[2] - 1) * d) + 1;
        return SpatialWindow.Geometry(call, x.Dims[2], x.Dims[3], k, k, sh, sw, padTypeRequired: false);
    }
}
