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
}
