using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime.Ops;

namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's max_pool and avg_pool on a [1, C, H, W] map (ceil_mode false); padded cells never win a max.</summary>
internal sealed class PoolOp : IMilOp
{
    public IEnumerable<string> Types => ["max_pool", "avg_pool"];

    public int[] Infer(MilCall call)
    {
        var x = SpatialWindow.Map(call);
        if (call.Bool("ceil_mode", false))
        {
            throw new Diagnostics.UnsupportedFeatureException($"ML Program operation '{Diagnostics.Echo.Of(call.Name)}' ({call.Op.Type}) uses ceil_mode; the runtime runs floor-mode pooling.", null);
        }

        var g = Geometry(call, x);
        return [1, x.Dims[1], (int)g.OutH, (int)g.OutW];
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var (kh, kw) = SpatialWindow.Pair(call, "kernel_sizes", 1);
        var (sh, sw) = SpatialWindow.Pair(call, "strides", 1);
        var g = Geometry(call, x);
        var input = new Tensor(new TensorShape(x.Dims[1], x.Dims[2], x.Dims[3]), x.Data);
        var output = new Tensor(new TensorShape(x.Dims[1], (int)g.OutH, (int)g.OutW));
        PoolingOp.Pool(input, output, kh, kw, sh, sw, g.Pad, call.Op.Type == "max_pool", call.Bool("exclude_padding_from_average", false));
        return output.Data;
    }

    private static WindowGeometry Geometry(MilCall call, MilValue x)
    {
        if (!call.Has("kernel_sizes"))
        {
            throw call.Bad("has no 'kernel_sizes' input");
        }

        var (kh, kw) = SpatialWindow.Pair(call, "kernel_sizes", 1);
        var (sh, sw) = SpatialWindow.Pair(call, "strides", 1);
        return SpatialWindow.Geometry(call, x.Dims[2], x.Dims[3], kh, kw, sh, sw, padTypeRequired: true);
    }
}

/// <summary>MIL's reduce_mean over any axes (keep_dims or not); the global average pool of a detector.</summary>
internal sealed class ReduceMeanOp : IMilOp
{
    public IEnumerable<string> Types => ["reduce_mean"];

    public int[] Infer(MilCall call)
    {
        var x = call.Tensor("x");
        var reduced = Reduced(call, x.Rank);
        var keep = call.Bool("keep_dims", false);
        return [.. x.Dims.Select((d, i) => reduced[i] ? (keep ? 1 : -1) : d).Where(d => d >= 0)];
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var reduced = Reduced(call, x.Rank);
        var kept = x.Dims.Select((d, i) => reduced[i] ? 1 : d).ToArray();
        var keptStrides = MilShapes.Strides(kept);
        var sums = new double[kept.Aggregate(1L, (a, d) => a * d)];
        var index = new int[x.Rank];
        var data = x.Data!;
        for (var i = 0; i < data.Length; i++)
        {
            var target = 0L;
            for (var a = 0; a < x.Rank; a++)
            {
                target += reduced[a] ? 0 : index[a] * keptStrides[a];
            }

            sums[target] += data[i];
            for (var a = x.Rank - 1; a >= 0 && ++index[a] == x.Dims[a]; a--)
            {
                index[a] = 0;
            }
        }

        var n = data.Length / sums.Length;
        return [.. sums.Select(s => (float)(s / n))];
    }

    private static bool[] Reduced(MilCall call, int rank)
    {
        var axes = call.Ints("axes", [.. Enumerable.Range(0, rank)]);
        var reduced = new bool[rank];
        foreach (var a in axes)
        {
            reduced[call.Axis(a, rank, "axes")] = true;
        }

        return reduced;
    }
}
