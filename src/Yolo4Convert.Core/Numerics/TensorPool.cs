using Yolo4Convert.Graph;

namespace Yolo4Convert.Numerics;

/// <summary>
/// Float buffers of a forward pass, handed back after their last reader and handed out again to later layers of the
/// same element count (YOLO networks repeat a handful of sizes: C·H·W halves with every stride-2 stage). Rented
/// buffers are not cleared: every layer writes its whole output.
/// </summary>
internal sealed class TensorPool
{
    private readonly Dictionary<int, Stack<float[]>> _free = [];

    public Tensor Rent(TensorShape shape)
    {
        var count = checked((int)shape.Count);
        return new Tensor(shape, _free.TryGetValue(count, out var stack) && stack.TryPop(out var data)
            ? data
            : GC.AllocateUninitializedArray<float>(count));
    }

    public void Return(float[] data)
    {
        if (!_free.TryGetValue(data.Length, out var stack))
        {
            _free[data.Length] = stack = new Stack<float[]>();
        }

        stack.Push(data);
    }
}
