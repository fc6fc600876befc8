using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests.Darknet;

/// <summary>nms_kind and beta_nms as parse_yolo reads them, and the one test_detector uses.</summary>
public sealed class DarknetNmsParsingTests
{
    private const string Net = "[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=18\nsize=1\nactivation=linear\n";

    private static Network Build(string body, WarningLog? warnings = null) => DarknetNetworkBuilder.Build(DarknetCfgParser.Parse(Net + body, "t.cfg"), warnings);

    private static string Yolo(string keys) => $"[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n{keys}";

    [Theory]
    [InlineData("", DarknetNmsKind.Default, 0.6f)]
    [InlineData("nms_kind=greedynms\nbeta_nms=0.6\n", DarknetNmsKind.Greedy, 0.6f)]
    [InlineData("nms_kind=diounms\nbeta_nms=0.8\n", DarknetNmsKind.Diou, 0.8f)]
    [InlineData("nms_kind=default\n", DarknetNmsKind.Default, 0.6f)]
    [InlineData("nms_kind=cornersnms\n", DarknetNmsKind.Default, 0.6f)] // only parse_gaussian_yolo knows cornersnms
    [InlineData("nms_kind=GreedyNMS\n", DarknetNmsKind.Default, 0.6f)] // strcmp: any other spelling is DEFAULT_NMS
    public void Build_YoloNmsKeys_AreReadAsParseYoloDoes(string keys, DarknetNmsKind kind, float beta)
    {
        var head = Assert.IsType<YoloLayer>(Build(Yolo(keys)).Layers[1]);

        Assert.Equal(new DarknetNms(kind, beta), head.Nms);
    }

    [Theory]
    [InlineData("nms_kind=cornersnms\n", DarknetNmsKind.Corners, 0.6f)]
    [InlineData("nms_kind=greedynms\nbeta_nms=0.7\n", DarknetNmsKind.Greedy, 0.7f)]
    [InlineData("", DarknetNmsKind.Default, 0.6f)]
    public void Build_GaussianYoloNmsKeys_AreReadAsParseGaussianYoloDoes_CornersIncluded(string keys, DarknetNmsKind kind, float beta)
    {
        var net = "[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=33\nsize=1\nactivation=linear\n";
        var cfg = net + $"[Gaussian_yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=2\n{keys}";

        var head = Assert.IsType<GaussianYoloLayer>(DarknetNetworkBuilder.Build(DarknetCfgParser.Parse(cfg, "g.cfg")).Layers[1]);

        Assert.Equal(new DarknetNms(kind, beta), head.Nms);
    }

    [Fact]
    public void Build_NmsKeys_CountAsKnownInYoloAndUnknownInRegion()
    {
        var yoloWarnings = new WarningLog();
        Build(Yolo("nms_kind=greedynms\nbeta_nms=0.6\n"), yoloWarnings);
        var regionWarnings = new WarningLog();
        var region = Build("[region]\nanchors=1,1\nnum=1\nclasses=1\nnms_kind=greedynms\n", regionWarnings);

        Assert.Empty(yoloWarnings.Items);
        Assert.Equal(DarknetNms.Default, Assert.IsType<RegionLayer>(region.Layers[1]).Nms);
        Assert.Contains(regionWarnings.Items, w => w.Message.Contains("'nms_kind'", StringComparison.Ordinal));
    }

    [Fact]
    public void Of_HeadsThatDisagree_IsTheLastHeads()
    {
        var network = Build(Yolo("nms_kind=diounms\nbeta_nms=0.9\n") + "[route]\nlayers=0\n" + Yolo("nms_kind=greedynms\nbeta_nms=0.7\n"));

        Assert.Equal(new DarknetNms(DarknetNmsKind.Greedy, 0.7f), DarknetNms.Of(network));
    }

    [Fact]
    public void Of_RealCfgs_GreedyNmsForYolov4AndDefaultForYolov3()
    {
        Assert.Equal(new DarknetNms(DarknetNmsKind.Greedy, 0.6f), DarknetNms.Of(Fixtures.Cfg("cfg/yolov4.cfg").Network));
        Assert.Equal(DarknetNms.Default, DarknetNms.Of(Fixtures.Cfg("cfg/yolov3-tiny.cfg").Network));
        Assert.Equal(DarknetNms.Default, DarknetNms.Of(Fixtures.Cfg("cfg/yolov2-tiny.cfg").Network));
    }
}
