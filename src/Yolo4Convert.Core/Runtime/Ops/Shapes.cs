using Yolo4Convert.Graph;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Shape rules shared by several ops.</summary>
internal static class Shapes
{
    /// <summary>A C×H×W map, which must be non-empty and fit a .NET float array.</summary>
    public static TensorShape Map(long c, long h, long w, LayerSite site) =>
        c is < 1 or > int.MaxValue || h is < 1 or > int.MaxValue || w is < 1 or > int.MaxValue || c * h * w > CoreMLModelValidator.MaxElements
            ? throw site.Bad($"would output {c}x{h}x{w}; expected a non-empty map of at most {CoreMLModelValidator.MaxElements:N0} values")
            : new TensorShape((int)c, (int)h, (int)w);

    /// <summary>
    /// Core ML's rank-5 broadcasting of add and multiply: every input is [C,H,W], [C,1,1], [1,H,W] or [1,1,1] of the
    /// largest; the result has the largest size along each axis.
    /// </summary>
    public static TensorShape Broadcast(IReadOnlyList<TensorShape> x, LayerSite site)
    {
        var shape = new TensorShape(x.Max(t => t.C), x.Max(t => t.H), x.Max(t => t.W));
        if (x.Any(t => (t.C != shape.C && t.C != 1) || (t.H != shape.H && t.H != 1) || (t.W != shape.W && t.W != 1)))
        {
            throw site.Bad($"combines {string.Join(" and ", x)}, which do not broadcast");
        }

        return shape;
    }

    /// <summary>The inputs' common shape (element-wise minimum takes equal shapes).</summary>
    public static TensorShape Equal(IReadOnlyList<TensorShape> x, LayerSite site) =>
        x.Any(t => t != x[0]) ? throw site.Bad($"takes the minimum of {string.Join(" and ", x)}; expected equal shapes") : x[0];
}
