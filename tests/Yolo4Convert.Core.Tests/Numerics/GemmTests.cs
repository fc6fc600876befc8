using Yolo4Convert.Numerics;

namespace Yolo4Convert.Tests.Numerics;

/// <summary>
/// The matrix product on every instruction set this processor has (the widest, and each narrower fallback forced),
/// against a plain double-precision product. Shapes cover partial panels (M not a multiple of 8, N not of 32),
/// several depth blocks (K over 256) and parallel column tiles.
/// </summary>
public sealed class GemmTests
{
    public static TheoryData<GemmIsa> Isas()
    {
        var data = new TheoryData<GemmIsa>();
        foreach (var isa in Enum.GetValues<GemmIsa>().Where(i => i <= GemmKernels.Best))
        {
            data.Add(isa);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Multiply_ForcedIsa_MatchesDoubleProduct(GemmIsa isa)
    {
        var random = new Random(5);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 33, 5), (8, 32, 256), (9, 65, 257), (70, 1000, 600), (33, 31, 1000), (3, 3000, 27) })
        {
            var a = Values(random, m * k);
            var b = Values(random, n * k);
            var bias = Values(random, m);
            var c = new float[m * n];
            var used = GemmKernels.WithIsa(isa, () =>
            {
                Gemm.Multiply(m, n, k, a, b, c, bias);
                return GemmKernels.Current;
            });

            Assert.Equal(isa, used);
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    double expected = bias[i];
                    for (var kk = 0; kk < k; kk++)
                    {
                        expected += (double)a[(i * k) + kk] * b[(kk * n) + j];
                    }

                    Assert.True(Math.Abs(c[(i * n) + j] - expected) <= 1e-4 * Math.Sqrt(k), $"{isa} {m}x{n}x{k} at ({i},{j}): {c[(i * n) + j]} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void Multiply_WithoutBias_OverwritesC()
    {
        var c = Enumerable.Repeat(99f, 6).ToArray();
        Gemm.Multiply(2, 3, 1, [1f, 2f], [1f, 2f, 3f], c);
        Assert.Equal([1f, 2f, 3f, 2f, 4f, 6f], c);
    }

    private static float[] Values(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2) - 1)];
}
