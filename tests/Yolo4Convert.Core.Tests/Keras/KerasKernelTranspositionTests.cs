using Yolo4Convert.Keras;

namespace Yolo4Convert.Tests.Keras;

[Trait("Format", "Keras")]
public sealed class KerasKernelTranspositionTests
{
    [Theory]
    [InlineData(13, 3, 9, 8, false)] // 27 columns: 3 left over by the 8×8 blocks; 5 filters left over
    [InlineData(13, 3, 9, 8, true)]
    [InlineData(64, 32, 1, 16, false)] // 1×1: a plain transpose, in 8×8 blocks only
    [InlineData(64, 32, 1, 16, true)]
    [InlineData(40, 5, 9, 24, false)] // chunks of 24 + 16 filters
    [InlineData(21, 1, 25, 21, false)] // a depthwise 5×5 kernel: one input per filter
    [InlineData(7, 2, 1, 7, false)] // smaller than one block
    public void Transpose_InChunksOfFilters_PutsEveryValueAtItsHwioPlace(int outputs, int inputs, int plane, int rows, bool scalar)
    {
        var oihw = Enumerable.Range(0, outputs * inputs * plane).Select(v => (float)v).ToArray();
        var hwio = new float[oihw.Length];
        try
        {
            KerasKernelTransposition.ForceScalar = scalar;
            for (var first = 0; first < outputs; first += rows)
            {
                var count = Math.Min(rows, outputs - first);
                var row = inputs * plane;
                KerasKernelTransposition.Transpose(oihw.AsSpan(first * row, count * row), first, count, outputs, inputs, plane, hwio);
            }
        }
        finally
        {
            KerasKernelTransposition.ForceScalar = false;
        }

        // Keras' kernel[ky][kx][i][o] = Darknet's W[o][i][ky][kx]; the values are their own OIHW indices.
        for (var k = 0; k < plane; k++)
        {
            for (var i = 0; i < inputs; i++)
            {
                for (var o = 0; o < outputs; o++)
                {
                    Assert.Equal((((o * inputs) + i) * plane) + k, hwio[(((k * inputs) + i) * outputs) + o]);
                }
            }
        }
    }

    [Fact]
    public void RowsPerChunk_WholeBlocksOfEightOrAllTheFilters()
    {
        Assert.Equal(3, KerasKernelTransposition.RowsPerChunk(27, 3));
        foreach (var (row, filters) in new[] { (4608, 1024), (1024, 512), (27, 32), (1_000_000, 255), (1, 100_000) })
        {
            var rows = KerasKernelTransposition.RowsPerChunk(row, filters);
            Assert.True(rows >= 8 && rows <= filters && rows % 8 == 0, $"{rows} rows of {row} for {filters} filters");
        }
    }
}
