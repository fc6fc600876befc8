namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's slice_by_index: numpy x[b0:e0:s0, …] with begin/end masks and squeeze_mask, constant bounds.</summary>
internal sealed class SliceByIndexOp : IMilOp
{
    public IEnumerable<string> Types => ["slice_by_index"];

    public int[] Infer(MilCall call)
    {
        var x = call.Tensor("x");
        var (begin, _, stride, count) = Bounds(call, x);
        var squeeze = call.Bools("squeeze_mask", x.Rank);
        return [.. Enumerable.Range(0, x.Rank).Where(i => !squeeze[i]).Select(i => count[i])];
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var (begin, _, stride, count) = Bounds(call, x);
        var strides = MilShapes.Strides(x.Dims);
        var result = new float[count.Aggregate(1L, (a, d) => a * d)];
        var index = new int[x.Rank];
        var data = x.Data!;
        for (var i = 0; i < result.Length; i++)
        {
            var source = 0L;
            for (var a = 0; a < x.Rank; a++)
            {
                source += (begin[a] + ((long)index[a] * stride[a])) * strides[a];
            }

            result[i] = data[source];
            for (var a = x.Rank - 1; a >= 0 && ++index[a] == count[a]; a--)
            {
                index[a] = 0;
            }
        }

        return result;
    }

    // Per axis: the first index, the end, the step and the number of elements taken.
    private static (int[] Begin, int[] End, int[] Stride, int[] Count) Bounds(MilCall call, MilValue x)
    {
        var rank = x.Rank;
        var begin = call.Ints("begin");
        var end = call.Ints("end");
        var stride = call.Ints("stride", [.. Enumerable.Repeat(1, rank)]);
        if (begin.Length != rank || end.Length != rank || stride.Length != rank)
        {
            throw call.Bad($"slices {x.ShapeText} with begin [{string.Join(",", begin)}], end [{string.Join(",", end)}], stride [{string.Join(",", stride)}]; expected {rank} values each");
        }

        var beginMask = call.Bools("begin_mask", rank);
        var endMask = call.Bools("end_mask", rank);
        var squeeze = call.Bools("squeeze_mask", rank);
        var count = new int[rank];
        var b = new int[rank];
        var e = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var d = x.Dims[i];
            if (stride[i] < 1)
            {
                throw new Diagnostics.UnsupportedFeatureException($"ML Program operation '{Diagnostics.Echo.Of(call.Name)}' (slice_by_index) has stride {stride[i]} on axis {i}; the runtime slices forwards.", null);
            }

            b[i] = beginMask[i] ? 0 : Math.Clamp(begin[i] < 0 ? begin[i] + d : begin[i], 0, d);
            e[i] = squeeze[i] ? b[i] + 1 : endMask[i] ? d : Math.Clamp(end[i] < 0 ? end[i] + d : end[i], 0, d);
            if (e[i] <= b[i] || b[i] >= d)
            {
                throw call.Bad($"takes nothing of axis {i} (size {d}) from {begin[i]} to {end[i]}; expected a non-empty slice");
            }

            count[i] = ((e[i] - b[i] - 1) / stride[i]) + 1;
        }

        return (b, e, stride, count);
    }
}
