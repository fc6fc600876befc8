using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Darknet;

public sealed class CfgLimitsTests
{
    private const string Net = "[net]\nwidth=64\nheight=64\nchannels=3\n";

    private static DarknetFormatException Fails(string cfg) =>
        Assert.Throws<DarknetFormatException>(() => DarknetReader.ReadCfg(cfg, "t.cfg"));

    [Theory]
    [InlineData("[convolutional]\nfilters=4\nsize=2147483647\n", "t.cfg:7:1: error: [convolutional] layer 0 has size=2147483647; expected a positive integer up to 4,096.")]
    [InlineData("[convolutional]\nfilters=99999999\n", "t.cfg:6:1: error: [convolutional] layer 0 has filters=99999999; expected a positive integer up to 65,536.")]
    [InlineData("[convolutional]\nstride=100000\n", "t.cfg:6:1: error: [convolutional] has stride=100000; expected a stride up to 4,096.")]
    [InlineData("[maxpool]\nsize=5000\n", "t.cfg:6:1: error: [maxpool] has size=5000; expected a window size up to 4,096.")]
    [InlineData("[upsample]\nstride=2147483647\n", "t.cfg:6:1: error: [upsample] has stride=2147483647; expected a stride")]
    [InlineData("[yolo]\nclasses=2147483647\n", "t.cfg:6:1: error: [yolo] has classes=2147483647; expected a class count")]
    [InlineData("[yolo]\nnum=5000\n", "t.cfg:6:1: error: [yolo] has num=5000; expected an anchor count")]
    [InlineData("[upsample]\nscale=1e39\n", "t.cfg:6:1: error: [upsample] has scale=1e39, which is not a finite float32")]
    public void Read_ValueBeyondItsBound_IsAnErrorAtItsLine(string layers, string expected)
    {
        Assert.StartsWith(expected, Fails(Net + layers).Message);
    }

    [Fact]
    public void Read_NetSizeBeyondTheBound_IsAnError()
    {
        var ex = Fails("[net]\nwidth=2147483647\nheight=64\nchannels=3\n[maxpool]\n");

        Assert.StartsWith("t.cfg:1:1: error: [net] has width=2147483647, height=64, channels=3; expected width and height up to 16,384", ex.Message);
    }

    [Fact]
    public void Read_UpsamplesPastAnArray_IsAnErrorNotAnOverflow()
    {
        var ex = Fails(Net + "[upsample]\nstride=4096\n");

        Assert.StartsWith("t.cfg:5:1: error: layer 0 [upsample] would output 3x262144x262144 = 2.06E+11 values; expected at most 2,147,483,647 per feature map.", ex.Message);
    }

    [Fact]
    public void Read_ConvolutionWithMoreWeightsThanAnArray_IsAnError()
    {
        var ex = Fails(Net + "[convolutional]\nfilters=65536\n[convolutional]\nfilters=65536\nsize=4096\npad=1\n");

        Assert.Contains("layer 1 [convolutional] would hold", ex.Message);
    }

    [Fact]
    public void Read_LargestValuesWithinBounds_GivesExactNonNegativeCounts()
    {
        var shaped = DarknetReader.ReadCfg("[net]\nwidth=16384\nheight=16384\nchannels=3\n[convolutional]\nfilters=4\nsize=4096\nstride=4096\n", "t.cfg");

        Assert.Equal(4L * 3 * 4096 * 4096, shaped.KernelCount((Yolo4Convert.Graph.ConvolutionalLayer)shaped.Network.Layers[0]));
        Assert.True(shaped.BFlops(shaped.Network.Layers[0]) > 0);
    }
}
