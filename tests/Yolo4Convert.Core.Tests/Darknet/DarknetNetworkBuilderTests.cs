using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests.Darknet;

public sealed class DarknetNetworkBuilderTests
{
    private const string Net = "[net]\nwidth=64\nheight=64\nchannels=3\n";

    private static Network Build(string body) => DarknetNetworkBuilder.Build(DarknetCfgParser.Parse(Net + body, "t.cfg"));

    [Fact]
    public void Build_ConvolutionalWithoutKeys_UsesDarknetDefaults()
    {
        var conv = Assert.IsType<ConvolutionalLayer>(Build("[convolutional]\n").Layers[0]);

        // parse_convolutional: filters=1, size=1, stride=1, no padding, and the default activation is logistic.
        Assert.Equal((1, 1, 1, 1, 0, 1, false, Activation.Logistic),
            (conv.Filters, conv.Size, conv.StrideX, conv.StrideY, conv.Padding, conv.Groups, conv.BatchNormalize, conv.Activation));
    }

    [Fact]
    public void Build_PadOne_OverridesPaddingWithHalfTheSize()
    {
        var conv = Assert.IsType<ConvolutionalLayer>(Build("[conv]\nsize=5\npad=1\npadding=7\nstride_y=2\n").Layers[0]);

        Assert.Equal(2, conv.Padding);
        Assert.Equal((1, 2), (conv.StrideX, conv.StrideY));
    }

    [Fact]
    public void Build_MaxPoolDefaults_FollowDarknet()
    {
        var pool = Assert.IsType<MaxPoolLayer>(Build("[max]\nstride=2\n").Layers[0]);

        Assert.Equal((2, 2, 2, 1), (pool.Size, pool.StrideX, pool.StrideY, pool.Padding));
    }

    [Fact]
    public void Build_RouteIndices_ResolveRelativeAndAbsolute()
    {
        var network = Build("[conv]\n[conv]\n[conv]\n[route]\nlayers=-1, 0\ngroups=2\ngroup_id=1\n");

        var route = Assert.IsType<RouteLayer>(network.Layers[3]);
        Assert.Equal([2, 0], route.Inputs.ToArray());
        Assert.Equal((2, 1), (route.Groups, route.GroupId));
    }

    [Fact]
    public void Build_ShortcutInputs_ArePreviousThenFrom()
    {
        var shortcut = Assert.IsType<ShortcutLayer>(Build("[conv]\n[conv]\n[shortcut]\nfrom=-2\nactivation=leaky\n").Layers[2]);

        Assert.Equal([1, 0], shortcut.Inputs.ToArray());
        Assert.Equal(Activation.Leaky, shortcut.Activation);
    }

    [Fact]
    public void Build_YoloWithoutMask_UsesAllAnchorsAndStopsListsAtHash()
    {
        var yolo = Assert.IsType<YoloLayer>(Build("[conv]\nfilters=16\n[yolo]\nclasses=3\nnum=2\nanchors=1,2,3,4#,5,6\n").Layers[1]);

        Assert.Equal([0, 1], yolo.Mask.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f], yolo.Anchors.ToArray());
        Assert.Equal(1f, yolo.ScaleXY);
    }

    [Fact]
    public void Build_RouteToLaterLayer_ReportsLineAndRange()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => Build("[conv]\n[route]\nlayers=5\n"));

        Assert.Equal("t.cfg:7:1: error: [route] layer 1 refers to layer 5 (absolute 5) in 'layers=5'; expected an earlier layer, 0..0. " +
            "Hint: absolute indices count every section after [net] from 0; negative ones count back from this layer.", ex.Message);
    }

    [Fact]
    public void Build_UnknownActivation_IsAnErrorNotReluLikeDarknet()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => Build("[conv]\nactivation=silu\n"));

        Assert.Contains("t.cfg:6:1: error: [conv] has unknown activation 'silu'.", ex.Message);
        Assert.Contains("swish", ex.Message);
    }

    [Theory]
    [InlineData("[conv]\nantialiasing=1\n", "antialiasing=1")]
    [InlineData("[conv]\nxnor=1\n", "xnor=1")]
    [InlineData("[maxpool]\nmaxpool_depth=1\n", "maxpool_depth=1")]
    [InlineData("[conv]\n[shortcut]\nfrom=-1\nweights_type=per_channel\nweights_normalization=relu\n", "weights_type=per_channel")]
    [InlineData("[lstm]\n", "[lstm]")]
    public void Build_InferenceChangingFeature_IsUnsupportedNotIgnored(string body, string quoted)
    {
        var ex = Assert.Throws<UnsupportedFeatureException>(() => Build(body));

        Assert.Contains(quoted, ex.Message);
        Assert.StartsWith("t.cfg:", ex.Message);
    }

    [Fact]
    public void Build_UnknownSection_NamesIt()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => Build("[convolutionl]\n"));

        Assert.Contains("unknown section '[convolutionl]' at layer 0", ex.Message);
    }

    [Fact]
    public void Build_FirstSectionNotNet_IsRejected()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetNetworkBuilder.Build(DarknetCfgParser.Parse("[conv]\n", "t.cfg")));

        Assert.Contains("the first section is '[conv]'; expected [net] or [network].", ex.Message);
    }
}
