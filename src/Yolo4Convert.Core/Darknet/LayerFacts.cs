using System.Collections.Immutable;
using System.Globalization;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>
/// What a cfg says about one layer, as `inspect` shows it: the short type (with the activation of a conv or an
/// activated shortcut), the filters and geometry columns of the table, the text after a head's row, the
/// settings its kind has (in the order of the JSON record), its shapes, cost and weight count.
/// </summary>
/// <param name="Layer">The layer described.</param>
/// <param name="Type">The table's type column: <c>conv leaky</c>, <c>shortcut mish</c>, else the section name.</param>
/// <param name="Filters">A conv's filter count, else empty.</param>
/// <param name="Geometry">The size/stride column: kernel and stride, a route's sources, a shortcut's `from`, a scale.</param>
/// <param name="HeadText">For a [yolo]/[region] head: its classes, mask, anchors and scale; null for other layers.</param>
/// <param name="Activation">The activation that ends the layer (linear when its kind has none).</param>
/// <param name="Settings">The settings of the layer's kind, named as in the JSON record, in its order.</param>
/// <param name="Input">The shape of the first input.</param>
/// <param name="Output">The output shape.</param>
/// <param name="BFlops">Billions of operations, as Darknet counts them.</param>
/// <param name="WeightFloats">How many floats the layer reads from a .weights file.</param>
public sealed record LayerFacts(
    Layer Layer,
    string Type,
    string Filters,
    string Geometry,
    string? HeadText,
    Activation Activation,
    ImmutableArray<KeyValuePair<string, object>> Settings,
    TensorShape Input,
    TensorShape Output,
    double BFlops,
    long WeightFloats)
{
    /// <summary>The facts of one layer of a shaped network.</summary>
    public static LayerFacts Of(ShapedNetwork shaped, Layer layer)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        ArgumentNullException.ThrowIfNull(layer);
        var kind = KindFacts.Of(layer);
        return new LayerFacts(
            layer,
            kind.Type ?? layer.Kind,
            kind.Filters,
            kind.Geometry,
            layer is HeadLayer ? kind.HeadText ?? string.Empty : null,
            kind.Activation,
            kind.Settings,
            shaped.ShapeOf(layer.Inputs[0]),
            shaped.Shapes[layer.Index],
            shaped.BFlops(layer),
            shaped.WeightFloats(layer));
    }

    /// <summary>The activation that ends <paramref name="layer"/> (linear when its kind has none).</summary>
    public static Activation ActivationOf(Layer layer) => KindFacts.Of(layer).Activation;

    /// <summary>The facts that depend on the layer's kind: the one place outside the reader that looks at it.</summary>
    private sealed record KindFacts(
        string? Type,
        string Filters,
        string Geometry,
        string? HeadText,
        Activation Activation,
        ImmutableArray<KeyValuePair<string, object>> Settings)
    {
        private static readonly KindFacts None = new(null, string.Empty, string.Empty, null, Activation.Linear, []);

        public static KindFacts Of(Layer layer) => layer switch
        {
            ConvolutionalLayer c => new(
                $"conv {Name(c.Activation)}",
                c.Filters.ToString(CultureInfo.InvariantCulture),
                $"{c.Size}x{c.Size}/{Stride(c.StrideX, c.StrideY)}{(c.Groups > 1 ? $" g{c.Groups}" : string.Empty)}{(c.Dilation > 1 ? $" d{c.Dilation}" : string.Empty)}",
                null,
                c.Activation,
                Named(
                    ("filters", c.Filters),
                    ("size", c.Size),
                    ("stride", new[] { c.StrideX, c.StrideY }),
                    ("padding", c.Padding),
                    ("groups", c.Groups),
                    ("dilation", c.Dilation),
                    ("batchNormalize", c.BatchNormalize),
                    ("activation", Name(c.Activation)))),
            MaxPoolLayer m => None with
            {
                Geometry = $"{m.Size}x{m.Size}/{Stride(m.StrideX, m.StrideY)}",
                Settings = Named(("size", m.Size), ("stride", new[] { m.StrideX, m.StrideY }), ("padding", m.Padding)),
            },
            LocalAvgPoolLayer a => None with
            {
                Geometry = $"{a.Size}x{a.Size}/{Stride(a.StrideX, a.StrideY)}",
                Settings = Named(("size", a.Size), ("stride", new[] { a.StrideX, a.StrideY }), ("padding", a.Padding)),
            },
            RouteLayer r => None with
            {
                Geometry = string.Join(",", r.Inputs) + (r.Groups > 1 ? $" g{r.GroupId}/{r.Groups}" : string.Empty),
                Settings = Named(("groups", r.Groups), ("groupId", r.GroupId)),
            },
            ShortcutLayer s => None with
            {
                Type = s.Activation != Activation.Linear ? $"shortcut {Name(s.Activation)}" : null,
                Geometry = "from " + string.Join(",", s.Inputs.Skip(1)),
                Activation = s.Activation,
                Settings = Named(("activation", Name(s.Activation))),
            },
            ScaleChannelsLayer sc => None with
            {
                Geometry = $"from {sc.Inputs[1]}",
                Activation = sc.Activation,
                Settings = Named(("activation", Name(sc.Activation)), ("scaleWh", sc.ScaleWh)),
            },
            SamLayer sam => None with
            {
                Geometry = $"from {sam.Inputs[1]}",
                Activation = sam.Activation,
                Settings = Named(("activation", Name(sam.Activation))),
            },
            UpsampleLayer u => None with
            {
                Geometry = $"x{u.Stride}",
                Settings = Named(("stride", new[] { u.Stride, u.Stride }), ("scale", u.Scale)),
            },
            ReorgLayer g => None with
            {
                Geometry = $"/{g.Stride}",
                Settings = Named(("stride", new[] { g.Stride, g.Stride })),
            },
            SoftmaxLayer sm => None with { Settings = Named(("groups", sm.Groups), ("temperature", sm.Temperature)) },
            YoloLayer y => None with
            {
                HeadText = $"classes {y.Classes}, mask {string.Join(",", y.Mask)}, anchors {string.Join(" ", MaskedAnchors(y).Select(a => $"{N(a[0])},{N(a[1])}"))}, scale_x_y {N(y.ScaleXY)}{(y.NewCoords ? ", new_coords" : string.Empty)}",
                Settings = Named(("classes", y.Classes), ("mask", y.Mask), ("anchors", MaskedAnchors(y)), ("scaleXY", y.ScaleXY), ("newCoords", y.NewCoords)),
            },
            GaussianYoloLayer g => None with
            {
                HeadText = $"classes {g.Classes}, mask {string.Join(",", g.Mask)}, anchors {string.Join(" ", MaskedAnchors(g.Anchors, g.Mask).Select(a => $"{N(a[0])},{N(a[1])}"))}, scale_x_y {N(g.ScaleXY)}, 4 uncertainties",
                Settings = Named(("classes", g.Classes), ("mask", g.Mask), ("anchors", MaskedAnchors(g.Anchors, g.Mask)), ("scaleXY", g.ScaleXY)),
            },
            RegionLayer r => None with
            {
                HeadText = $"classes {r.Classes}, num {r.Num}, anchors {string.Join(" ", r.Anchors.Chunk(2).Select(a => $"{N(a[0])},{N(a[1])}"))}{(r.Softmax ? ", softmax" : string.Empty)}",
                Settings = Named(("classes", r.Classes), ("num", r.Num), ("anchors", r.Anchors.Chunk(2).ToArray()), ("softmax", r.Softmax)),
            },
            _ => None,
        };

        private static ImmutableArray<KeyValuePair<string, object>> Named(params (string Name, object Value)[] settings) =>
            [.. settings.Select(s => KeyValuePair.Create(s.Name, s.Value))];

        /// <summary>The anchors a [yolo] head uses (its mask), as width, height pairs in pixels.</summary>
        private static float[][] MaskedAnchors(YoloLayer y) => MaskedAnchors(y.Anchors, y.Mask);

        private static float[][] MaskedAnchors(ImmutableArray<float> anchors, ImmutableArray<int> mask) => [.. mask.Select(m => new[] { anchors[2 * m], anchors[(2 * m) + 1] })];

        private static string Name(Activation a) => ActivationNames.Name(a);

        private static string Stride(int x, int y) => x == y ? $"{x}" : $"{x}x{y}";

        private static string N(float v) => v.ToString(CultureInfo.InvariantCulture);
    }
}
