using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Yolo4Convert.Numerics;

/// <summary>
/// Single-precision matrix product C[M×N] = A[M×K]·B[K×N] (+ bias per row), row-major, used by both the Core ML
/// runtime and the Darknet reference. B is packed in 16-column panels that a 4×16 register-blocked kernel
/// streams through; panels are spread over all cores.
/// </summary>
public static class Gemm
{
    private const int Panel = 16;

    /// <summary>Computes C = A·B, plus bias[row] when bias is given. C is overwritten.</summary>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<float> bias = default)
    {
        if (a.Length < m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException("matrix buffers are smaller than their dimensions");
        }

        unsafe
        {
            fixed (float* pa = a, pb = b, pc = c, pbias = bias)
            {
                var args = new Args(pa, pb, pc, bias.IsEmpty ? null : pbias, m, n, k);
                var panels = (n + Panel - 1) / Panel;
                var work = (long)m * n * k;
                if (work < 1 << 20 || panels < 4)
                {
                    RunPanels(args, 0, panels);
                }
                else
                {
                    var chunks = Math.Min(panels, Environment.ProcessorCount * 4);
                    Parallel.For(0, chunks, i => RunPanels(args, (int)((long)panels * i / chunks), (int)((long)panels * (i + 1) / chunks)));
                }
            }
        }
    }

    private readonly unsafe struct Args(float* a, float* b, float* c, float* bias, int m, int n, int k)
    {
        public readonly float* A = a;
        public readonly float* B = b;
        public readonly float* C = c;
        public readonly float* Bias = bias;
        public readonly int M = m;
        public readonly int N = n;
        public readonly int K = k;
    }

    [ThreadStatic]
    private static float[]? t_pack;

    private static unsafe void RunPanels(Args g, int first, int last)
    {
        var need = g.K * Panel;
        if (t_pack is null || t_pack.Length < need)
        {
            t_pack = GC.AllocateUninitializedArray<float>(need, pinned: true);
        }

        fixed (float* pack = t_pack)
        {
            for (var p = first; p < last; p++)
            {
                var j0 = p * Panel;
                var width = Math.Min(Panel, g.N - j0);
                for (var kk = 0; kk < g.K; kk++)
                {
                    var src = g.B + ((long)kk * g.N) + j0;
                    var dst = pack + (kk * Panel);
                    if (width == Panel)
                    {
                        Vector256.Store(Vector256.Load(src), dst);
                        Vector256.Store(Vector256.Load(src + 8), dst + 8);
                    }
                    else
                    {
                        for (var j = 0; j < Panel; j++)
                        {
                            dst[j] = j < width ? src[j] : 0f;
                        }
                    }
                }

                var i = 0;
                for (; i + 4 <= g.M; i += 4)
                {
                    Kernel4(g, pack, i, j0, width);
                }

                for (; i < g.M; i++)
                {
                    Kernel1(g, pack, i, j0, width);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Kernel4(Args g, float* pack, int i, int j0, int width)
    {
        var a0 = g.A + ((long)i * g.K);
        var a1 = a0 + g.K;
        var a2 = a1 + g.K;
        var a3 = a2 + g.K;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        var bp = pack;
        for (var kk = 0; kk < g.K; kk++, bp += Panel)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var v = Vector256.Create(a0[kk]);
            c00 = Vector256.FusedMultiplyAdd(v, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
            v = Vector256.Create(a1[kk]);
            c10 = Vector256.FusedMultiplyAdd(v, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
            v = Vector256.Create(a2[kk]);
            c20 = Vector256.FusedMultiplyAdd(v, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
            v = Vector256.Create(a3[kk]);
            c30 = Vector256.FusedMultiplyAdd(v, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
        }

        Store(g, i, j0, width, c00, c01);
        Store(g, i + 1, j0, width, c10, c11);
        Store(g, i + 2, j0, width, c20, c21);
        Store(g, i + 3, j0, width, c30, c31);
    }

    private static unsafe void Kernel1(Args g, float* pack, int i, int j0, int width)
    {
        var a0 = g.A + ((long)i * g.K);
        Vector256<float> c0 = default, c1 = default;
        var bp = pack;
        for (var kk = 0; kk < g.K; kk++, bp += Panel)
        {
            var v = Vector256.Create(a0[kk]);
            c0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(bp), c0);
            c1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(bp + 8), c1);
        }

        Store(g, i, j0, width, c0, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(Args g, int row, int j0, int width, Vector256<float> lo, Vector256<float> hi)
    {
        if (g.Bias is not null)
        {
            var b = Vector256.Create(g.Bias[row]);
            lo += b;
            hi += b;
        }

        var dst = g.C + ((long)row * g.N) + j0;
        if (width == Panel)
        {
            Vector256.Store(lo, dst);
            Vector256.Store(hi, dst + 8);
            return;
        }

        var tmp = stackalloc float[Panel];
        Vector256.Store(lo, tmp);
        Vector256.Store(hi, tmp + 8);
        for (var j = 0; j < width; j++)
        {
            dst[j] = tmp[j];
        }
    }
}
