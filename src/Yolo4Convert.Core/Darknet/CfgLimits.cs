namespace Yolo4Convert.Darknet;

/// <summary>
/// Upper bounds for the cfg values that size things, checked where each value enters. They are far above every
/// published network (yolov4-p7: 1536×1536 input, 1024 filters, 13×13 pooling; yolo9000: 9,418 classes) and low
/// enough that shapes, weight counts, FLOPs and byte sizes are exact in 32-bit (shapes) and 64-bit (counts)
/// arithmetic. Feature maps and weight tensors are further checked against .NET's array limit by shape inference.
/// </summary>
public static class CfgLimits
{
    /// <summary>Input width and height.</summary>
    public const int Size = 16_384;

    /// <summary>Channels, filters and groups.</summary>
    public const int Channels = 65_536;

    /// <summary>Kernel and pooling window sizes, strides, paddings, dilations.</summary>
    public const int Window = 4_096;

    /// <summary>Classes of a detection head.</summary>
    public const int Classes = 100_000;

    /// <summary>Anchor pairs (num) and mask entries of a detection head.</summary>
    public const int Anchors = 1_024;

    /// <summary>Elements of one feature map or weight tensor: what a .NET float array can hold.</summary>
    public const long Elements = int.MaxValue;
}
