using Yolo4Convert.Graph;

namespace Yolo4Convert.Ir;

/// <summary>
/// One operation of the target-neutral graph, on CHW feature maps of one image. Each op states its own output shape
/// from its inputs' shapes; the Darknet lowering has already checked that the inputs fit, so the rules only compute.
/// Targets map every op kind in a table of their own (see <see cref="IrOpKinds"/>).
/// </summary>
public abstract record IrOp
{
    /// <summary>The output shape for these input shapes.</summary>
    public abstract TensorShape OutputShape(IReadOnlyList<TensorShape> inputs);
}

/// <summary>Explicit zero padding on each side of a window op (top/left may differ from bottom/right).</summary>
public readonly record struct Pads(int Top, int Bottom, int Left, int Right)
{
    /// <summary>True when no side is padded.</summary>
    public bool IsZero => Top == 0 && Bottom == 0 && Left == 0 && Right == 0;

    /// <summary>Output size along one axis: floor((in + start + end − k)/stride) + 1.</summary>
    public static int OutputSize(int input, int start, int end, int kernel, int stride) => ((input + start + end - kernel) / stride) + 1;
}

/// <summary>
/// A convolution with bias: OIHW weights read lazily from the Darknet .weights file through
/// <see cref="Weights"/> (a handle for <see cref="ConvWeightsSource"/>), with the batch norm Darknet stores beside
/// them when <see cref="BatchNorm"/>; targets fold it (Core ML) or keep it (Keras).
/// </summary>
public sealed record Conv2d(
    int Filters, int KernelSize, int StrideY, int StrideX, int Dilation, int Groups, Pads Pads,
    ConvolutionalLayer Weights, bool BatchNorm, long KernelCount) : IrOp
{
    /// <summary>The extent of the dilated kernel.</summary>
    public int Extent => ((KernelSize - 1) * Dilation) + 1;

    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => new(
        Filters,
        Pads.OutputSize(inputs[0].H, Pads.Top, Pads.Bottom, Extent, StrideY),
        Pads.OutputSize(inputs[0].W, Pads.Left, Pads.Right, Extent, StrideX));
}

/// <summary>Max pooling; padded cells never win (they count as −∞).</summary>
public sealed record MaxPool2d(int Size, int StrideY, int StrideX, Pads Pads) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => new(
        inputs[0].C,
        Pads.OutputSize(inputs[0].H, Pads.Top, Pads.Bottom, Size, StrideY),
        Pads.OutputSize(inputs[0].W, Pads.Left, Pads.Right, Size, StrideX));
}

/// <summary>Average pooling over the window's cells inside the input: padded cells are not counted in the mean.</summary>
public sealed record AvgPool2d(int Size, int StrideY, int StrideX, Pads Pads) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => new(
        inputs[0].C,
        Pads.OutputSize(inputs[0].H, Pads.Top, Pads.Bottom, Size, StrideY),
        Pads.OutputSize(inputs[0].W, Pads.Left, Pads.Right, Size, StrideX));
}

/// <summary>The mean over H×W of each channel: C×1×1.</summary>
public sealed record GlobalAvgPool : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => new(inputs[0].C, 1, 1);
}

/// <summary>Inputs joined along the channels, in order.</summary>
public sealed record Concat : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0] with { C = inputs.Sum(s => s.C) };
}

/// <summary>Channels [Start, End) of the input.</summary>
public sealed record ChannelSlice(int Start, int End) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0] with { C = End - Start };
}

/// <summary>The element-wise sum of inputs of one shape.</summary>
public sealed record Add : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>
/// The element-wise product of two inputs; the second may be C×1×1 or 1×H×W and is then broadcast over the first
/// (Darknet's [scale_channels]); the output has the first input's shape.
/// </summary>
public sealed record Mul : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>Each value repeated Factor × Factor times (nearest neighbour).</summary>
public sealed record UpsampleNearest(int Factor) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0] with { H = inputs[0].H * Factor, W = inputs[0].W * Factor };
}

/// <summary>Every value multiplied by a constant.</summary>
public sealed record Scale(float Alpha) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>
/// Space-to-depth by Stride: (C, H, W) → (C·s², H/s, W/s), output channel (dy·s + dx)·C + c holding input (c, y·s + dy,
/// x·s + dx). With <see cref="Old"/>, Darknet's older [reorg] (yolov2): the input viewed as (C/s², H·s, W·s),
/// space-to-depth by s, the result viewed as (C·s², H/s, W/s) (reorg_cpu with forward=0).
/// </summary>
public sealed record SpaceToDepth(int Stride, bool Old) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) =>
        new(inputs[0].C * Stride * Stride, inputs[0].H / Stride, inputs[0].W / Stride);
}

/// <summary>The softmax over the channels of a C×1×1 map.</summary>
public sealed record Softmax : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>An element-wise activation function, with Darknet's definition of it (src/activations.c).</summary>
public sealed record ActivationOp(Activation Function) : IrOp
{
    /// <inheritdoc/>
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => inputs[0];
}

/// <summary>Every kind of <see cref="IrOp"/>: what each target's op table must map or refuse with a reason.</summary>
public static class IrOpKinds
{
    /// <summary>The op types, in the order of this file.</summary>
    public static readonly IReadOnlyList<Type> All =
    [
        typeof(Conv2d), typeof(MaxPool2d), typeof(AvgPool2d), typeof(GlobalAvgPool), typeof(Concat), typeof(ChannelSlice), typeof(Add), typeof(Mul),
        typeof(UpsampleNearest), typeof(Scale), typeof(SpaceToDepth), typeof(Softmax), typeof(ActivationOp),
    ];
}
