using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Ir;

/// <summary>
/// Where a node comes from: the Darknet layer (index, section kind, cfg location), the node's role in that layer's
/// lowering (e.g. "conv", "leaky", "route", "shortcut") and, for the helper nodes of a role, a part
/// ("slice0", "from1", …). Targets build their layer names from it.
/// </summary>
public sealed record NodeOrigin(int Layer, string Kind, SourceLocation Source, string Role, string? Part = null);

/// <summary>One op applied to earlier nodes' outputs (<see cref="IrGraph.Input"/> is the network input).</summary>
public sealed record IrNode(int Id, IrOp Op, ImmutableArray<int> Inputs, TensorShape Shape, NodeOrigin Origin);

/// <summary>The kind of a detection head, as Darknet names its section.</summary>
public enum HeadKind
{
    /// <summary>[yolo]: anchors in pixels, logistic x/y, optional scale_x_y and new_coords.</summary>
    Yolo,

    /// <summary>[region] (yolov2): anchors in grid cells, optional softmax over the classes.</summary>
    Region,

    /// <summary>
    /// [Gaussian_yolo]: as [yolo] (anchors in pixels, logistic x/y, scale_x_y), with an uncertainty after each of x, y,
    /// w, h: 9 + K entries per anchor (x, σx, y, σy, w, σw, h, σh, objectness, classes).
    /// </summary>
    GaussianYolo,
}

/// <summary>What each head kind stores per anchor.</summary>
public static class HeadKinds
{
    /// <summary>The entries per anchor: 5 + K ([yolo], [region]) or 9 + K ([Gaussian_yolo]).</summary>
    public static int Entries(HeadKind kind, int classes) => classes + (kind == HeadKind.GaussianYolo ? 9 : 5);

    /// <summary>The section name Darknet uses ("yolo", "region", "Gaussian_yolo").</summary>
    public static string SectionName(HeadKind kind) => kind switch
    {
        HeadKind.Yolo => "yolo",
        HeadKind.Region => "region",
        _ => "Gaussian_yolo",
    };

    /// <summary>The name of the kind in a model's metadata (<c>head.NAME.type</c>): "yolo", "region" or "gaussian_yolo".</summary>
    public static string MetadataName(HeadKind kind) => kind switch
    {
        HeadKind.Yolo => "yolo",
        HeadKind.Region => "region",
        _ => "gaussian_yolo",
    };
}

/// <summary>
/// A detection head: the value that is the raw head tensor (A·(5+K) × H × W, or A·(9+K) for [Gaussian_yolo]), and
/// everything needed to decode it, in target-neutral form: <see cref="Anchors"/> are this head's own width,height pairs
/// (pixels for [yolo] and [Gaussian_yolo], grid cells for [region]). <see cref="Layer"/> is the head's Darknet layer index, <see cref="InputLayer"/> that of the layer it reads.
/// </summary>
public sealed record IrHead(
    int Value, TensorShape Shape, int Stride, HeadKind Kind, int Layer, int InputLayer, SourceLocation Source, int Classes,
    ImmutableArray<float> Anchors, ImmutableArray<int> Mask, float ScaleXY, bool NewCoords, bool Softmax)
{
    /// <summary>The section name Darknet uses ("yolo", "region" or "Gaussian_yolo").</summary>
    public string KindName => HeadKinds.SectionName(Kind);

    /// <summary>Anchor boxes of this head.</summary>
    public int AnchorCount => Anchors.Length / 2;

    /// <summary>The head's Darknet NMS setting (nms_kind, beta_nms).</summary>
    public DarknetNms Nms { get; init; } = DarknetNms.Default;

    /// <summary>The entries per anchor.</summary>
    public int Entries => HeadKinds.Entries(Kind, Classes);
}

/// <summary>
/// The network as a graph of target-neutral ops in a topological order (Darknet's layer order), its input and its
/// detection heads. Built once from the Darknet layer graph by <see cref="DarknetLowering"/>; every target lowers it
/// with its own op table.
/// </summary>
public sealed record IrGraph(string SourceName, NetOptions Net, ImmutableArray<IrNode> Nodes, ImmutableArray<IrHead> Heads)
{
    /// <summary>The id that stands for the network input in <see cref="IrNode.Inputs"/>.</summary>
    public const int Input = -1;

    /// <summary>The network input's shape (C×H×W).</summary>
    public TensorShape InputShape => new(Net.Channels, Net.Height, Net.Width);

    /// <summary>The shape of a value: a node's output, or the network input.</summary>
    public TensorShape ShapeOf(int value) => value == Input ? InputShape : Nodes[value].Shape;

    /// <summary>The convolutions, in order: each one reads its weights from the .weights file.</summary>
    public IEnumerable<Conv2d> Convolutions => Nodes.Select(n => n.Op).OfType<Conv2d>();
}
