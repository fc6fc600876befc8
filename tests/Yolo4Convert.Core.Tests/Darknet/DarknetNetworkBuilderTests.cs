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

    [Fact]
    public void Build_LocalAvgPoolDefaults_AreMaxpools()
    {
        // parse_local_avgpool: stride 1, size = stride, padding = size − 1; the alias [local_avg] names it too.
        var pool = Assert.IsType<LocalAvgPoolLayer>(Build("[local_avgpool]\nstride=2\n").Layers[0]);
        var alias = Assert.IsType<LocalAvgPoolLayer>(Build("[local_avg]\nsize=3\nstride_y=2\n").Layers[0]);

        Assert.Equal((2, 2, 2, 1), (pool.Size, pool.StrideX, pool.StrideY, pool.Padding));
        Assert.Equal((3, 1, 2, 2), (alias.Size, alias.StrideX, alias.StrideY, alias.Padding));
    }

    [Fact]
    public void Build_LocalAvgPoolWindowsWhollyInThePadding_AreRefused()
    {
        // forward_local_avgpool_layer would divide 0 by 0 for a window with no cell inside the input.
        var ex = Assert.Throws<UnsupportedFeatureException>(() => Build("[local_avgpool]\nsize=2\nstride=1\npadding=4\n"));

        Assert.StartsWith("t.cfg:8:1: error: [local_avgpool] layer 0 has padding=4 for size=2; windows wholly in the padding average no cell", ex.Message);
    }

    [Fact]
    public void Build_GaussianYolo_ReadsItsKeysWithDarknetsDefaults()
    {
        var head = Assert.IsType<GaussianYoloLayer>(Build("[conv]\nfilters=28\n[Gaussian_yolo]\nmask=1,2\nanchors=1,2, 3,4, 5,6\nnum=3\nclasses=5\nscale_x_y=1.05\n").Layers[1]);
        var bare = Assert.IsType<GaussianYoloLayer>(Build("[conv]\nfilters=29\n[Gaussian_yolo]\n").Layers[1]);

        Assert.Equal((5, 1.05f), (head.Classes, head.ScaleXY));
        Assert.Equal(new[] { 1, 2 }, head.Mask.ToArray());
        Assert.Equal(new[] { 1f, 2, 3, 4, 5, 6 }, head.Anchors.ToArray());

        // make_gaussian_yolo_layer: classes 20, num 1, mask 0..num−1, anchors 0.5; scale_x_y 1.
        Assert.Equal((20, 1f), (bare.Classes, bare.ScaleXY));
        Assert.Equal(new[] { 0 }, bare.Mask.ToArray());
        Assert.Equal(new[] { 0.5f, 0.5f }, bare.Anchors.ToArray());
    }

    [Fact]
    public void Build_GaussianYoloTrainingKeys_AreKnownAndInferenceKeysAreHonoured()
    {
        var warnings = new WarningLog();
        var text = Net + "[conv]\nfilters=29\n[Gaussian_yolo]\nuc_normalizer=1.0\niou_loss=giou\nignore_thresh=.5\njitter=.3\nrandom=1\nbeta_nms=0.6\nyolo_point=center\n";
        DarknetNetworkBuilder.Build(DarknetCfgParser.Parse(text, "t.cfg"), warnings);
        Assert.Empty(warnings.Items);

        var ex = Assert.Throws<UnsupportedFeatureException>(() => Build("[conv]\nfilters=29\n[Gaussian_yolo]\nyolo_point=left_top\n"));
        Assert.Contains("[Gaussian_yolo] layer 1 has yolo_point=left_top; only boxes given by their centre are supported.", ex.Message);
    }

    [Fact]
    public void Read_GaussianYoloWithYoloFilters_NamesTheNineEntries()
    {
        // 2 anchors × (3 classes + 9) = 24 filters; a [yolo]-sized 2 × (3 + 5) = 16 is an error naming the count.
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetReader.ReadCfg(Net + "[conv]\nfilters=16\n[Gaussian_yolo]\nmask=0,1\nnum=2\nclasses=3\n", "t.cfg"));

        Assert.Contains("expected 24 = 2 masked anchors × (classes=3 + 9)", ex.Message);
    }
}
