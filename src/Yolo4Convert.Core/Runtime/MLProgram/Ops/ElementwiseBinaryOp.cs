namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's element-wise binary ops (add, sub, mul, real_div, maximum, minimum) with numpy broadcasting.</summary>
internal sealed class ElementwiseBinaryOp : IMilOp
{
    private static readonly Dictionary<string, Func<float, float, float>> Functions = new(StringComparer.Ordinal)
    {
        ["add"] = (a, b) => a + b,
        ["sub"] = (a, b) => a - b,
        ["mul"] = (a, b) => a * b,
        ["real_div"] = (a, b) => a / b,
        ["maximum"] = MathF.Max,
        ["minimum"] = MathF.Min,
    };

    public IEnumerable<string> Types => Functions.Keys;

    public int[] Infer(MilCall call)
    {
        var (x, y) = (call.Tensor("x"), call.Tensor("y"));
        if (x.Type != y.Type)
        {
            throw call.Bad($"combines {x.Type} with {y.Type}; expected one dtype");
        }

        return Broadcast(x.Dims, y.Dims) ?? throw call.Bad($"combines {x.ShapeText} and {y.ShapeText}, which do not broadcast");
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var (x, y) = (call.Input("x"), call.Input("y"));
        var f = Functions[call.Op.Type];
        var dims = call.OutputDims;
        var result = new float[dims.Aggregate(1L, (a, d) => a * d)];
        float[] a = x.Data!, b = y.Data!;
        if (a.Length == result.Length && b.Length == result.Length)
        {
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = f(a[i], b[i]);
            }

            return result;
        }

        if (a.Length == result.Length && b.Length == 1)
        {
            var s = b[0];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = f(a[i], s);
            }

            return result;
        }

        var (sa, sb) = (StridesIn(x.Dims, dims), StridesIn(y.Dims, dims));
        var index = new int[dims.Length];
        long ia = 0, ib = 0;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = f(a[ia], b[ib]);
            for (var axis = dims.Length - 1; axis >= 0; axis--)
            {
                ia += sa[axis];
                ib += sb[axis];
                if (++index[axis] < dims[axis])
                {
                    break;
                }

                ia -= sa[axis] * dims[axis];
                ib -= sb[axis] * dims[axis];
                index[axis] = 0;
            }
        }

        return result;
    }

    /// <summary>numpy's broadcast shape, or null.</summary>
    public static int[]? Broadcast(int[] a, int[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    // The strides of a broadcast operand along the output's axes: 0 where it is repeated.
    private static long[] StridesIn(int[] dims, int[] output)
    {
        var own = MilShapes.Strides(dims);
        var result = new long[output.Length];
        var shift = output.Length - dims.Length;
        for (var i = shift; i < output.Length; i++)
        {
            result[i] = dims[i - shift] == 1 ? 0 : own[i - shift];
        }

        return result;
    }
}
