using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Reference;

namespace Yolo4Convert.Tests.Reference;

public sealed class EvaluationBudgetTests
{
    [Fact]
    public void Check_MaxPoolWindowOverALargeMap_IsUnsupportedWithTheLayerLine()
    {
        var shaped = DarknetReader.ReadCfg("[net]\nwidth=608\nheight=608\nchannels=3\n[convolutional]\nfilters=32\nsize=1\n[maxpool]\nsize=4001\nstride=1\n", "big.cfg");

        var ex = Assert.Throws<UnsupportedFeatureException>(() => EvaluationBudget.Check(shaped));

        Assert.StartsWith("big.cfg:8:1: error: layer 1 [maxpool] with a 4001x4001 window over 32x608x608 visits 4,372,847,132,672 cells", ex.Message);
    }

    [Fact]
    public void Forward_HugeWindowOverASmallMap_IsCheapAndEqualsTheGlobalMax()
    {
        // Clipped to the input, a 4001x4001 window over a 5x5 map is a global max at every output.
        var shaped = DarknetReader.ReadCfg("[net]\nwidth=5\nheight=5\nchannels=1\n[maxpool]\nsize=4001\nstride=1\n[convolutional]\nfilters=6\nsize=1\nactivation=linear\n[yolo]\nmask=0\nanchors=1,1\nnum=1\nclasses=1\n", "t.cfg");
        using var stream = new MemoryStream();
        SeededWeights.Write(shaped, stream);
        stream.Position = 0;
        var weighted = DarknetWeightsReader.Read(shaped, stream, "w");
        var input = new Yolo4Convert.Numerics.Tensor(new TensorShape(1, 5, 5), [.. Enumerable.Range(0, 25).Select(i => (float)((i * 7) % 25) / 25f)]);

        Assert.Equal(new TensorShape(1, 5, 5), shaped.Shapes[0]);
        var head = DarknetReference.Forward(weighted, shaped, input)[2];

        var w = weighted.Weights[1]!;
        for (var f = 0; f < 6; f++)
        {
            Assert.Equal(w.Biases[f] + (w.Kernel[f] * (24f / 25f)), head.Data[f * 25], 6);
        }
    }
}
