using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Yolo4Convert.Numerics;

/// <summary>The instruction sets the matrix product can use, widest first.</summary>
public enum GemmIsa
{
    /// <summary>Plain scalar code: the reference and the fallback of last resort.</summary>
    Scalar,

    /// <summary>256-bit vectors (AVX2 + FMA on x64, two 128-bit halves elsewhere).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512,
}

/// <summary>
/// The MR×NR register-blocked micro-kernels of <see cref="Gemm"/>: C[MR×NR] (+)= A-panel · B-panel over kc steps, where
/// the A panel holds MR values per step (<see cref="PackedMatrix"/>) and the B panel NR values per step. One kernel per
/// instruction set; all compute the same sums in the same order (one fused multiply-add per step), so they agree to
/// the last bit except the scalar one, which rounds the product separately.
/// </summary>
internal static unsafe class GemmKernels
{
    public const int MR = 8;
    public const int NR = 32;

    /// <summary>The widest instruction set this processor accelerates.</summary>
    public static GemmIsa Best { get; } =
        Vector512.IsHardwareAccelerated ? GemmIsa.Vector512 : Vector256.IsHardwareAccelerated ? GemmIsa.Vector256 : GemmIsa.Scalar;

    // Tests force a narrower path here (flows into Parallel.For workers with the execution context).
    private static readonly AsyncLocal<GemmIsa?> s_forced = new();

    /// <summary>The instruction set the next product on this logical flow uses.</summary>
    public static GemmIsa Current => s_forced.Value is { } forced && forced < Best ? forced : Best;

    /// <summary>Runs <paramref name="body"/> with the kernels limited to <paramref name="isa"/> (for tests of the fallbacks).</summary>
    public static T WithIsa<T>(GemmIsa isa, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var previous = s_forced.Value;
        s_forced.Value = isa;
        try
        {
            return body();
        }
        finally
        {
            s_forced.Value = previous;
        }
    }

    /// <summary>
    /// c[r·ldc + j] for r &lt; rows, j &lt; cols gets the product (added to its old value when accumulate), plus bias[r]
    /// when bias is not null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(GemmIsa isa, int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        switch (isa)
        {
            case GemmIsa.Vector512:
                Kernel512(kc, a, b, c, ldc, rows, cols, accumulate, bias);
                break;
            case GemmIsa.Vector256:
                Kernel256(kc, a, b, c, ldc, rows, cols, accumulate, bias);
                break;
            default:
                KernelScalar(kc, a, b, c, ldc, rows, cols, accumulate, bias);
                break;
        }
    }

    private static void Kernel512(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (var k = 0; k < kc; k++, a += MR, b += NR)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var v = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(v, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
            v = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(v, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
            v = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(v, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
            v = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(v, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
            v = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(v, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
            v = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(v, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
            v = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(v, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
            v = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(v, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(v, b1, c71);
        }

        if (rows == MR && cols == NR)
        {
            Store512(c, accumulate, bias, 0, c00, c01);
            Store512(c + ldc, accumulate, bias, 1, c10, c11);
            Store512(c + (2 * ldc), accumulate, bias, 2, c20, c21);
            Store512(c + (3 * ldc), accumulate, bias, 3, c30, c31);
            Store512(c + (4 * ldc), accumulate, bias, 4, c40, c41);
            Store512(c + (5 * ldc), accumulate, bias, 5, c50, c51);
            Store512(c + (6 * ldc), accumulate, bias, 6, c60, c61);
            Store512(c + (7 * ldc), accumulate, bias, 7, c70, c71);
            return;
        }

        var tile = stackalloc float[MR * NR];
        Vector512.Store(c00, tile);
        Vector512.Store(c01, tile + 16);
        Vector512.Store(c10, tile + 32);
        Vector512.Store(c11, tile + 48);
        Vector512.Store(c20, tile + 64);
        Vector512.Store(c21, tile + 80);
        Vector512.Store(c30, tile + 96);
        Vector512.Store(c31, tile + 112);
        Vector512.Store(c40, tile + 128);
        Vector512.Store(c41, tile + 144);
        Vector512.Store(c50, tile + 160);
        Vector512.Store(c51, tile + 176);
        Vector512.Store(c60, tile + 192);
        Vector512.Store(c61, tile + 208);
        Vector512.Store(c70, tile + 224);
        Vector512.Store(c71, tile + 240);
        StorePartial(tile, c, ldc, rows, cols, accumulate, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* row, bool accumulate, float* bias, int r, Vector512<float> lo, Vector512<float> hi)
    {
        if (accumulate)
        {
            lo += Vector512.Load(row);
            hi += Vector512.Load(row + 16);
        }

        if (bias is not null)
        {
            var v = Vector512.Create(bias[r]);
            lo += v;
            hi += v;
        }

        Vector512.Store(lo, row);
        Vector512.Store(hi, row + 16);
    }

    // 256-bit registers: an MR×NR tile as four 4×16 blocks, 8 accumulators each (AVX2 has 16 registers).
    private static void Kernel256(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        var tile = stackalloc float[MR * NR];
        for (var r0 = 0; r0 < MR; r0 += 4)
        {
            for (var j0 = 0; j0 < NR; j0 += 16)
            {
                Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
                var ap = a + r0;
                var bp = b + j0;
                for (var k = 0; k < kc; k++, ap += MR, bp += NR)
                {
                    var b0 = Vector256.Load(bp);
                    var b1 = Vector256.Load(bp + 8);
                    var v = Vector256.Create(ap[0]);
                    c00 = Vector256.FusedMultiplyAdd(v, b0, c00);
                    c01 = Vector256.FusedMultiplyAdd(v, b1, c01);
                    v = Vector256.Create(ap[1]);
                    c10 = Vector256.FusedMultiplyAdd(v, b0, c10);
                    c11 = Vector256.FusedMultiplyAdd(v, b1, c11);
                    v = Vector256.Create(ap[2]);
                    c20 = Vector256.FusedMultiplyAdd(v, b0, c20);
                    c21 = Vector256.FusedMultiplyAdd(v, b1, c21);
                    v = Vector256.Create(ap[3]);
                    c30 = Vector256.FusedMultiplyAdd(v, b0, c30);
                    c31 = Vector256.FusedMultiplyAdd(v, b1, c31);
                }

                var t = tile + (r0 * NR) + j0;
                Vector256.Store(c00, t);
                Vector256.Store(c01, t + 8);
                Vector256.Store(c10, t + NR);
                Vector256.Store(c11, t + NR + 8);
                Vector256.Store(c20, t + (2 * NR));
                Vector256.Store(c21, t + (2 * NR) + 8);
                Vector256.Store(c30, t + (3 * NR));
                Vector256.Store(c31, t + (3 * NR) + 8);
            }
        }

        StorePartial(tile, c, ldc, rows, cols, accumulate, bias);
    }

    private static void KernelScalar(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        var tile = stackalloc float[MR * NR];
        new Span<float>(tile, MR * NR).Clear();
        for (var k = 0; k < kc; k++, a += MR, b += NR)
        {
            for (var r = 0; r < MR; r++)
            {
                var v = a[r];
                var t = tile + (r * NR);
                for (var j = 0; j < NR; j++)
                {
                    t[j] += v * b[j];
                }
            }
        }

        StorePartial(tile, c, ldc, rows, cols, accumulate, bias);
    }

    private static void StorePartial(float* tile, float* c, int ldc, int rows, int cols, bool accumulate, float* bias)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = c + ((long)r * ldc);
            var t = tile + (r * NR);
            var add = bias is null ? 0f : bias[r];
            for (var j = 0; j < cols; j++)
            {
                row[j] = (accumulate ? row[j] + t[j] : t[j]) + add;
            }
        }
    }
}
