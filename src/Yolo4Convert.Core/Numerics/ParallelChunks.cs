namespace Yolo4Convert.Numerics;

/// <summary>Splits element-wise work into a few chunks per core; small work runs inline.</summary>
public static class ParallelChunks
{
    /// <summary>Calls body(start, end) over [0, count) in parallel chunks.</summary>
    public static void For(long count, Action<int, int> body, long minPerChunk = 1 << 15)
    {
        ArgumentNullException.ThrowIfNull(body);
        var chunks = (int)Math.Clamp(count / minPerChunk, 1, Environment.ProcessorCount * 4);
        if (chunks == 1)
        {
            body(0, (int)count);
            return;
        }

        Parallel.For(0, chunks, i => body((int)(count * i / chunks), (int)(count * (i + 1) / chunks)));
    }
}
