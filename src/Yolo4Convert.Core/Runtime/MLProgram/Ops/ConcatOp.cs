namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's concat along one axis (interleave false): every input has the same rank and the same dims off the axis.</summary>
internal sealed class ConcatOp : IMilOp
{
    public IEnumerable<string> Types => ["concat"];

    public int[] Infer(MilCall call)
    {
        var values = call.Variadic("values");
        if (call.Bool("interleave", false))
        {
            throw new Diagnostics.UnsupportedFeatureException($"ML Program operation '{Diagnostics.Echo.Of(call.Name)}' (concat) interleaves; the runtime concatenates plainly.", null);
        }

        var first = values[0];
        var axis = call.Axis(call.Int("axis"), first.Rank, "axis");
        var dims = (int[])first.Dims.Clone();
        dims[axis] = 0;
        foreach (var v in values)
        {
            if (!MilShapes.IsFloat(v.Type) || v.Type != first.Type || v.Rank != first.Rank || v.Dims.Where((d, i) => i != axis && d != first.Dims[i]).Any())
            {
                throw call.Bad($"joins {string.Join(" and ", values.Select(t => $"{t.Type} {t.ShapeText}"))} on axis {axis}; expected float tensors equal off that axis");
            }

            dims[axis] += v.Dims[axis];
        }

        return dims;
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var values = call.Variadic("values");
        var dims = call.OutputDims;
        var axis = call.Axis(call.Int("axis"), dims.Length, "axis");
        var outer = MilShapes.Product(dims, 0, axis);
        var inner = MilShapes.Product(dims, axis + 1, dims.Length);
        var result = new float[outer * dims[axis] * inner];
        var offset = 0L;
        foreach (var v in values)
        {
            var block = v.Dims[axis] * inner;
            for (var o = 0L; o < outer; o++)
            {
                Array.Copy(v.Data!, o * block, result, (o * dims[axis] * inner) + offset, block);
            }

            offset += block;
        }

        return result;
    }
}
