using System.Runtime.Intrinsics;

namespace Yolo4Convert.Numerics;

/// <summary>
/// Single-precision matrix product C[M×N] = A[M×K]·B[K×N] (+ bias per row), row-major, used by both the Core ML
/// runtime and the Darknet reference. A is packed once (<see cref="PackedMatrix"/>); B is packed per thread, kc rows ×
/// NR columns at a time, straight from its source (a matrix, or a convolution's input read through im2col indexing,
/// so no column matrix is ever built). Column tiles are spread over all cores; within a tile every A panel meets
/// every B panel in a <see cref="GemmKernels"/> micro-kernel.
/// </summary>
public static class Gemm
{
    // Columns per tile (in NR panels) and depth per packed block: a block of B (Kc·8·NR floats) stays in L2, an A
    // micro-panel (Kc·MR floats) in L1.
    private const int MaxTilePanels = 8;
    private const int MaxDepth = 256;

    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>Computes C = A·B, plus bias[row] when bias is given. C is overwritten.</summary>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<float> bias = default) =>
        Multiply(PackedMatrix.Pack(a, m, k), n, b, c, bias);

    /// <summary>Computes C = A·B with a packed A, plus bias[row] when bias is given. C is overwritten.</summary>
    public static void Multiply(PackedMatrix a, int n, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<float> bias = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (b.Length < (long)a.Columns * n)
        {
            throw new ArgumentException("matrix B is smaller than its dimensions", nameof(b));
        }

        unsafe
        {
            fixed (float* pb = b)
            {
                Multiply(a, n, new DenseColumns(pb, n), c, bias);
            }
        }
    }

    /// <summary>C = A·B where B's columns come from <paramref name="source"/>.</summary>
    internal static unsafe void Multiply<TSource>(PackedMatrix a, int n, TSource source, Span<float> c, ReadOnlySpan<float> bias)
        where TSource : struct, IColumnSource
    {
        if (c.Length < (long)a.Rows * n || (!bias.IsEmpty && bias.Length < a.Rows))
        {
            throw new ArgumentException("matrix C or the bias is smaller than its dimensions");
        }

        if (n == 0 || a.Rows == 0)
        {
            return;
        }

        fixed (float* pa = a.Data, pc = c, pbias = bias)
        {
            var job = new Job<TSource>(a, pa, source, pc, bias.IsEmpty ? null : pbias, n, GemmKernels.Current);
            var panels = (n + GemmKernels.NR - 1) / GemmKernels.NR;
            var cores = Environment.ProcessorCount;
            job.TilePanels = Math.Clamp(panels / (2 * cores), 1, MaxTilePanels);
            var tiles = (panels + job.TilePanels - 1) / job.TilePanels;
            if (tiles == 1 || (long)a.Rows * n * a.Columns < 1 << 20)
            {
                for (var t = 0; t < tiles; t++)
                {
                    job.RunTile(t);
                }
            }
            else
            {
                Parallel.For(0, tiles, job.RunTile);
            }
        }
    }

    private sealed unsafe class Job<TSource>(PackedMatrix a, float* pa, TSource source, float* c, float* bias, int n, GemmIsa isa)
        where TSource : struct, IColumnSource
    {
        public int TilePanels { get; set; }

        public void RunTile(int tile)
        {
            const int nr = GemmKernels.NR, mr = GemmKernels.MR;
            var k = a.Columns;
            var blocks = (k + MaxDepth - 1) / MaxDepth;
            var depth = (k + blocks - 1) / blocks;
            var j0 = tile * TilePanels * nr;
            var width = Math.Min(TilePanels * nr, n - j0);
            var panels = (width + nr - 1) / nr;
            var need = (depth * TilePanels * nr) + (TilePanels * nr);
            if (t_scratch is null || t_scratch.Length < need)
            {
                t_scratch = GC.AllocateUninitializedArray<float>(Math.Max(need, (MaxDepth * MaxTilePanels * nr) + (MaxTilePanels * nr)), pinned: true);
            }

            fixed (float* scratch = t_scratch)
            {
                var pack = scratch + (TilePanels * nr);
                for (var k0 = 0; k0 < k; k0 += depth)
                {
                    var kc = Math.Min(depth, k - k0);
                    source.Pack(k0, kc, j0, width, pack, scratch);
                    var last = k0 + kc == k;
                    for (var p = 0; p < a.Panels; p++)
                    {
                        var rows = Math.Min(mr, a.Rows - (p * mr));
                        var ap = pa + ((((long)p * k) + k0) * mr);
                        var cp = c + ((long)p * mr * n) + j0;
                        var bp = last && bias is not null ? bias + (p * mr) : null;
                        for (var q = 0; q < panels; q++)
                        {
                            GemmKernels.Run(isa, kc, ap, pack + (q * kc * nr), cp + (q * nr), n, rows, Math.Min(nr, width - (q * nr)), k0 > 0, bp);
                        }
                    }
                }
            }
        }
    }
}

/// <summary>Where the columns of B come from: writes B's rows [k0, k0+kc) × columns [j0, j0+width) as packed panels.</summary>
internal unsafe interface IColumnSource
{
    /// <summary>
    /// Writes ceil(width/NR) panels of kc×NR floats to <paramref name="panels"/> (panel q at q·kc·NR, row r at r·NR);
    /// columns past width are zero. <paramref name="row"/> is scratch space for <paramref name="width"/> floats.
    /// </summary>
    void Pack(int k0, int kc, int j0, int width, float* panels, float* row);
}

/// <summary>B as a row-major matrix with <c>stride</c> floats per row.</summary>
internal readonly unsafe struct DenseColumns(float* b, int stride) : IColumnSource
{
    public void Pack(int k0, int kc, int j0, int width, float* panels, float* row)
    {
        for (var r = 0; r < kc; r++)
        {
            PanelWriter.Scatter(b + ((long)(k0 + r) * stride) + j0, width, kc, r, panels);
        }
    }
}

/// <summary>Copies one row of B (width values) into row r of consecutive kc×NR panels, zero-filling the last.</summary>
internal static unsafe class PanelWriter
{
    public static void Scatter(float* source, int width, int kc, int r, float* panels)
    {
        const int nr = GemmKernels.NR;
        var dst = panels + (r * nr);
        var stride = kc * nr;
        var q = 0;
        for (; q + nr <= width; q += nr, dst += stride)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512.Store(Vector512.Load(source + q), dst);
                Vector512.Store(Vector512.Load(source + q + 16), dst + 16);
            }
            else
            {
                Vector256.Store(Vector256.Load(source + q), dst);
                Vector256.Store(Vector256.Load(source + q + 8), dst + 8);
                Vector256.Store(Vector256.Load(source + q + 16), dst + 16);
                Vector256.Store(Vector256.Load(source + q + 24), dst + 24);
            }
        }

        if (q < width)
        {
            var j = 0;
            for (; q + j < width; j++)
            {
                dst[j] = source[q + j];
            }

            for (; j < nr; j++)
            {
                dst[j] = 0f;
            }
        }
    }
}
