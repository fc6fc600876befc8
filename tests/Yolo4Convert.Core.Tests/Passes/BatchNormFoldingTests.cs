using Yolo4Convert.Graph;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Tests.Passes;

public sealed class BatchNormFoldingTests
{
    [Fact]
    public void Fold_MatchesDarknetsUnfusedFormula()
    {
        // One filter, two kernel values: y = (w·x − mean)/sqrt(var + 1e-5)·scale + β.
        var weights = new ConvWeights([0.5f], new BatchNormWeights([2f], [0.25f], [0.01f]), [3f, -1f]);

        var (kernel, bias) = BatchNormFolding.Fold(weights);

        var std = Math.Sqrt(0.01 + 1e-5);
        Assert.Equal((float)(3 * 2 / std), kernel[0], 5);
        Assert.Equal((float)(-1 * 2 / std), kernel[1], 5);
        Assert.Equal((float)(0.5 - (2 * 0.25 / std)), bias[0], 5);
    }

    [Fact]
    public void Fold_EpsilonMatters_ForSmallVariance()
    {
        var weights = new ConvWeights([0f], new BatchNormWeights([1f], [0f], [1e-4f]), [1f]);

        Assert.NotEqual(BatchNormFolding.Fold(weights, 1e-5).Kernel[0], BatchNormFolding.Fold(weights, 1e-3).Kernel[0]);
    }

    [Fact]
    public void Scale_VectorPaths_GiveTheScalarRoundingOfEveryValue()
    {
        // Random magnitudes across the float range, denormals, signed zeros, infinities and NaN, in a length that
        // leaves a scalar tail after the 512- and 256-bit loops.
        var random = new Random(3);
        var values = new float[16 * 37 + 11];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (i % 9) switch
            {
                0 => BitConverter.Int32BitsToSingle(random.Next()),
                1 => -BitConverter.Int32BitsToSingle(random.Next(1, 0x007FFFFF)),
                2 => i % 2 == 0 ? -0f : float.PositiveInfinity,
                3 => float.NaN,
                _ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30))),
            };
        }

        foreach (var factor in new[] { 1.0, 0.3183098861837907, -7.25e-3, 1e30, 3.5e-40 })
        {
            var scaled = new float[values.Length];
            BatchNormFolding.Scale(values, factor, scaled);

            for (var i = 0; i < values.Length; i++)
            {
                var expected = (float)(values[i] * factor);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(scaled[i]) || (float.IsNaN(expected) && float.IsNaN(scaled[i])),
                    $"value {i} ({values[i]:R}) times {factor:R}: {scaled[i]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void Fold_PieceByPiece_EqualsTheWholeFold()
    {
        var random = new Random(4);
        const int filters = 5, perFilter = 27;
        float[] Values(int n, float scale, float offset) => [.. Enumerable.Range(0, n).Select(_ => (random.NextSingle() * scale) + offset)];
        var weights = new ConvWeights(Values(filters, 1, -0.5f), new BatchNormWeights(Values(filters, 2, 0), Values(filters, 1, 0), Values(filters, 0.1f, 0)), Values(filters * perFilter, 1, -0.5f));
        var (kernel, bias) = BatchNormFolding.Fold(weights);

        var factors = new double[filters];
        var pieceBias = new float[filters];
        Assert.True(BatchNormFolding.Factors(weights.Biases, weights.BatchNorm, BatchNormFolding.DarknetEpsilon, factors, pieceBias));
        var pieces = new float[kernel.Length];
        for (var o = 0; o < filters; o++)
        {
            BatchNormFolding.Scale(weights.Kernel.AsSpan(o * perFilter, perFilter), factors[o], pieces.AsSpan(o * perFilter, perFilter));
        }

        Assert.Equal(bias, pieceBias);
        Assert.Equal(kernel, pieces);
    }
}
