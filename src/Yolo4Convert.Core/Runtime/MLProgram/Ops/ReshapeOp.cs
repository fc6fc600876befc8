namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's reshape to a constant shape (one −1 inferred; 0 copies x's dim at the same index when the ranks agree).</summary>
internal sealed class ReshapeOp : IMilOp
{
    public IEnumerable<string> Types => ["reshape"];

    public int[] Infer(MilCall call)
    {
        var x = call.Tensor("x");
        var shape = call.Ints("shape");
        var dims = shape.Select((d, i) => d == 0 && shape.Length == x.Rank ? x.Dims[i] : d).ToArray();
        var known = dims.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
        if (dims.Length > 5 || dims.Count(d => d == -1) > 1 || dims.Any(d => d is < -1 or 0) || known == 0)
        {
            throw call.Bad($"reshapes {x.ShapeText} to [{string.Join(",", shape)}]; expected positive sizes with at most one -1, rank up to 5");
        }

        var inferred = Array.IndexOf(dims, -1);
        if (inferred >= 0 && x.Count % known == 0)
        {
            dims[inferred] = (int)(x.Count / known);
        }

        return dims.Aggregate(1L, (a, d) => a * d) == x.Count ? dims
            : throw call.Bad($"reshapes {x.ShapeText} ({x.Count} values) to [{string.Join(",", shape)}]; expected the same number of values");
    }

    public float[] Run(MilCall call, MilRunContext context) => (float[])call.Input("x").Data!.Clone();
}

/// <summary>MIL's transpose: output axis i is input axis perm[i].</summary>
internal sealed class TransposeOp : IMilOp
{
    public IEnumerable<string> Types => ["transpose"];

    public int[] Infer(MilCall call)
    {
        var x = call.Tensor("x");
        var perm = Perm(call, x);
        return [.. perm.Select(p => x.Dims[p])];
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var perm = Perm(call, x);
        var inStrides = MilShapes.Strides(x.Dims);
        var dims = call.OutputDims;
        var strides = perm.Select(p => inStrides[p]).ToArray();
        var result = new float[x.Count];
        var index = new int[dims.Length];
        var data = x.Data!;
        var source = 0L;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = data[source];
            for (var a = dims.Length - 1; a >= 0; a--)
            {
                source += strides[a];
                if (++index[a] < dims[a])
                {
                    break;
                }

                source -= strides[a] * dims[a];
                index[a] = 0;
            }
        }

        return result;
    }

    private static int[] Perm(MilCall call, MilValue x)
    {
        var perm = call.Ints("perm").Select(p => call.Axis(p, x.Rank, "perm")).ToArray();
        return perm.Length == x.Rank && perm.Distinct().Count() == x.Rank ? perm
            : throw call.Bad($"permutes {x.ShapeText} by [{string.Join(",", perm)}]; expected a permutation of its {x.Rank} axes");
    }
}
