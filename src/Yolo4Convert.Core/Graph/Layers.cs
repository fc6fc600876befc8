using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Graph;

/// <summary>
/// One Darknet section. <see cref="Index"/> is Darknet's layer index (0 = first section after [net]);
/// <see cref="Inputs"/> are absolute indices of the layers it reads, -1 meaning the network input.
/// </summary>
public abstract record Layer(int Index, ImmutableArray<int> Inputs, SourceLocation Source)
{
    /// <summary>The section name as Darknet spells it (e.g. "convolutional").</summary>
    public abstract string Kind { get; }
}

/// <summary>[convolutional]: grouped, dilated, strided convolution, optional batch norm, then an activation.</summary>
public sealed record ConvolutionalLayer(
    int Index, ImmutableArray<int> Inputs, SourceLocation Source,
    int Filters, int Size, int StrideX, int StrideY, int Padding, int Groups, int Dilation,
    bool BatchNormalize, Activation Activation) : Layer(Index, Inputs, Source)
{
    public override string Kind => "convolutional";
}

/// <summary>[maxpool]: <see cref="Padding"/> is Darknet's total padding (top/left gets Padding/2).</summary>
public sealed record MaxPoolLayer(
    int Index, ImmutableArray<int> Inputs, SourceLocation Source,
    int Size, int StrideX, int StrideY, int Padding) : Layer(Index, Inputs, Source)
{
    public override string Kind => "maxpool";
}

/// <summary>
/// [local_avgpool]: Darknet's maxpool geometry (<see cref="Padding"/> is the total padding, top/left gets Padding/2)
/// with the mean of the window's cells inside the input (forward_local_avgpool_layer, src/maxpool_layer.c).
/// </summary>
public sealed record LocalAvgPoolLayer(
    int Index, ImmutableArray<int> Inputs, SourceLocation Source,
    int Size, int StrideX, int StrideY, int Padding) : Layer(Index, Inputs, Source)
{
    public override string Kind => "local_avgpool";
}

/// <summary>[avgpool]: global average over H×W.</summary>
public sealed record AvgPoolLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source) : Layer(Index, Inputs, Source)
{
    public override string Kind => "avgpool";
}

/// <summary>[route]: concatenates the g-th 1/G channel slice of each input.</summary>
public sealed record RouteLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Groups, int GroupId)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => "route";
}

/// <summary>[shortcut]: Inputs[0] is the previous layer, the rest are the `from` layers; adds the overlapping channels.</summary>
public sealed record ShortcutLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, Activation Activation)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => "shortcut";
}

/// <summary>[upsample]: nearest-neighbour by an integer stride, times <see cref="Scale"/>.</summary>
public sealed record UpsampleLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Stride, float Scale)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => "upsample";
}

/// <summary>[reorg] (yolov2's old reorg, <see cref="Old"/> true) or [reorg3d] (space-to-depth).</summary>
public sealed record ReorgLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Stride, bool Old)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => Old ? "reorg" : "reorg3d";
}

/// <summary>[dropout], [cost], [empty], [silence]: identity at inference.</summary>
public sealed record IdentityLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, string Section) : Layer(Index, Inputs, Source)
{
    public override string Kind => Section;
}

/// <summary>[softmax] over the channels of a 1×1 map.</summary>
public sealed record SoftmaxLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Groups, float Temperature)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => "softmax";
}

/// <summary>[scale_channels]: Inputs = [previous (the C×1×1 scale, or 1×H×W with scale_wh), from].</summary>
public sealed record ScaleChannelsLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, bool ScaleWh, Activation Activation)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => "scale_channels";
}

/// <summary>[sam]: element-wise product of the previous layer and `from`.</summary>
public sealed record SamLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, Activation Activation)
    : Layer(Index, Inputs, Source)
{
    public override string Kind => "sam";
}

/// <summary>A detection head: [yolo] or [region]. Its input is the raw head tensor the converted model outputs.</summary>
public abstract record HeadLayer(int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Classes, ImmutableArray<float> Anchors)
    : Layer(Index, Inputs, Source)
{
    /// <summary>The head's nms_kind and beta_nms (parse_yolo reads them; [region] keeps Darknet's default, IoU).</summary>
    public DarknetNms Nms { get; init; } = DarknetNms.Default;
}

/// <summary>[yolo]: Anchors holds all anchor pairs (pixels); Mask picks this head's.</summary>
public sealed record YoloLayer(
    int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Classes, ImmutableArray<float> Anchors,
    ImmutableArray<int> Mask, float ScaleXY, bool NewCoords) : HeadLayer(Index, Inputs, Source, Classes, Anchors)
{
    public override string Kind => "yolo";
}

/// <summary>
/// [Gaussian_yolo] (Gaussian YOLOv3): as [yolo], but each anchor has 9 + classes entries: x, σx, y, σy, w, σw, h, σh,
/// objectness, classes (gaussian_yolo_layer.c). Anchors holds all anchor pairs (pixels); Mask picks this head's.
/// </summary>
public sealed record GaussianYoloLayer(
    int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Classes, ImmutableArray<float> Anchors,
    ImmutableArray<int> Mask, float ScaleXY) : HeadLayer(Index, Inputs, Source, Classes, Anchors)
{
    public override string Kind => "Gaussian_yolo";
}

/// <summary>[region] (yolov2): anchors in grid cells.</summary>
public sealed record RegionLayer(
    int Index, ImmutableArray<int> Inputs, SourceLocation Source, int Classes, ImmutableArray<float> Anchors,
    int Num, int Coords, bool Softmax) : HeadLayer(Index, Inputs, Source, Classes, Anchors)
{
    public override string Kind => "region";
}
