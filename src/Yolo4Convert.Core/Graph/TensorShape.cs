namespace Yolo4Convert.Graph;

/// <summary>A feature map of one image: channels × height × width (Darknet's CHW layout).</summary>
public readonly record struct TensorShape(int C, int H, int W)
{
    /// <summary>Number of elements.</summary>
    public long Count => (long)C * H * W;

    /// <inheritdoc/>
    public override string ToString() => $"{C}x{H}x{W}";
}
