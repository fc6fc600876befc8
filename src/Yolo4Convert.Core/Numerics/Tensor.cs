using Yolo4Convert.Graph;

namespace Yolo4Convert.Numerics;

/// <summary>A float32 feature map in CHW order.</summary>
public sealed class Tensor
{
    public Tensor(TensorShape shape, float[]? data = null)
    {
        Shape = shape;
        Data = data ?? new float[shape.Count];
        if (Data.Length != shape.Count)
        {
            throw new ArgumentException($"tensor data has {Data.Length} values; shape {shape} needs {shape.Count}");
        }
    }

    public TensorShape Shape { get; }

    public float[] Data { get; }

    public int C => Shape.C;

    public int H => Shape.H;

    public int W => Shape.W;

    /// <summary>The largest absolute value.</summary>
    public float MaxAbs()
    {
        var m = 0f;
        foreach (var v in Data)
        {
            m = Math.Max(m, Math.Abs(v));
        }

        return m;
    }
}
