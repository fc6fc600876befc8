namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's upsample_nearest_neighbor with integer scale factors on the last two axes.</summary>
internal sealed class UpsampleNearestNeighborOp : IMilOp
{
    public IEnumerable<string> Types => ["upsample_nearest_neighbor"];

    public int[] Infer(MilCall call)
    {
        var x = call.Tensor("x");
        var (sh, sw) = Scales(call);
        if (x.Rank < 3)
        {
            throw call.Bad($"upsamples {x.ShapeText}; expected rank 3 or more");
        }

        var dims = (int[])x.Dims.Clone();
        dims[^2] *= sh;
        dims[^1] *= sw;
        return x.Count * sh * sw > MilConstants.MaxElements ? throw call.Bad($"would output more than {MilConstants.MaxElements:N0} values") : dims;
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var x = call.Input("x");
        var (sh, sw) = Scales(call);
        int h = x.Dims[^2], w = x.Dims[^1];
        var planes = MilShapes.Product(x.Dims, 0, x.Rank - 2);
        var result = new float[x.Count * sh * sw];
        var data = x.Data!;
        for (var p = 0L; p < planes; p++)
        {
            for (var oy = 0; oy < h * sh; oy++)
            {
                var row = (p * h * w) + ((oy / sh) * w);
                var target = ((p * h * sh) + oy) * w * sw;
                for (var ox = 0; ox < w * sw; ox++)
                {
                    result[target + ox] = data[row + (ox / sw)];
                }
            }
        }

        return result;
    }

    private static (int H, int W) Scales(MilCall call)
    {
        float sh = call.Float("scale_factor_height", 1f), sw = call.Float("scale_factor_width", 1f);
        return sh == MathF.Round(sh) && sw == MathF.Round(sw) && sh is >= 1 and <= SpatialWindow.Max && sw is >= 1 and <= SpatialWindow.Max
            ? ((int)sh, (int)sw)
            : throw new Diagnostics.UnsupportedFeatureException($"ML Program operation '{Diagnostics.Echo.Of(call.Name)}' (upsample_nearest_neighbor) scales by {sh}x{sw}; the runtime upsamples by whole factors.", null);
    }
}
