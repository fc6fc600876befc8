using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;

namespace Yolo4Convert.Tests.Ir;

/// <summary>Darknet's rules, decided once in the lowering to the IR (every target inherits them).</summary>
public sealed class DarknetLoweringTests
{
    private static IrGraph Lower(string relative, int? size = null) => DarknetLowering.Lower(Fixtures.Cfg(relative, size));

    private static IrNode Node(IrGraph graph, int layer, string role, string? part = null) =>
        graph.Nodes.Single(n => n.Origin.Layer == layer && n.Origin.Role == role && n.Origin.Part == part);

    [Fact]
    public void StrideTwoConvOnAnEvenInput_PadsTopAndLeftOnly()
    {
        // yolov4's layer 1: 3x3, stride 2, pad 1 on 608x608 → 304x304 (convolutional_out_height: (608 + 2 − 3)/2 + 1).
        var conv = (Conv2d)Node(Lower("cfg/yolov4.cfg"), 1, "conv").Op;

        Assert.Equal(new Pads(1, 0, 1, 0), conv.Pads);
        Assert.Equal((2, 2), (conv.StrideY, conv.StrideX));
    }

    [Fact]
    public void MaxPoolSizeTwoStrideOne_PadsBottomAndRight()
    {
        // yolov3-tiny's layer 11: size 2, stride 1, Darknet's default padding size − 1: windows start at o − 0.
        var graph = Lower("cfg/yolov3-tiny.cfg");
        var pool = Node(graph, 11, "maxpool");

        Assert.Equal(new Pads(0, 1, 0, 1), ((MaxPool2d)pool.Op).Pads);
        Assert.Equal(graph.ShapeOf(pool.Inputs[0]), pool.Shape);
    }

    [Fact]
    public void RouteGroups_TakeTheGroupIdthSliceOfEachInput()
    {
        // yolov4-tiny's layer 3: [route] layers=-1 groups=2 group_id=1 over 64 channels.
        var graph = Lower("cfg/yolov4-tiny.cfg");
        var slice = Node(graph, 3, "route", "slice0");

        Assert.Equal(new ChannelSlice(32, 64), slice.Op);
        Assert.Equal(32, slice.Shape.C);
    }

    [Fact]
    public void ShortcutOverFewerChannels_AddsIntoTheFirstChannelsOnly()
    {
        var text = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=8\nsize=1\n[convolutional]\nfilters=4\nsize=1\n" +
            "[shortcut]\nfrom=-2\nactivation=linear\n[convolutional]\nfilters=18\nsize=1\n[yolo]\nclasses=1\nnum=3\n";
        var graph = DarknetLowering.Lower(DarknetReader.ReadCfg(text, "uneven.cfg"));

        // layer 2 adds layer 0 (8 channels) into layer 1 (4 channels): the first 4 of layer 0 are taken.
        var from = Node(graph, 2, "shortcut", "from1");
        Assert.Equal(new ChannelSlice(0, 4), from.Op);
        var sum = Node(graph, 2, "shortcut");
        Assert.IsType<Add>(sum.Op);
        Assert.Equal(new TensorShape(4, 32, 32), sum.Shape);
    }

    [Fact]
    public void OldReorg_IsMarkedAndShapedLikeDarknet()
    {
        var graph = Lower("cfg/yolov2.cfg", 416);
        var reorg = graph.Nodes.Single(n => n.Op is SpaceToDepth);

        Assert.Equal(new SpaceToDepth(2, Old: true), reorg.Op);
        Assert.Equal(new TensorShape(256, 13, 13), reorg.Shape);
    }

    [Fact]
    public void EveryNodeShape_EqualsDarknetsShapeOfItsLayer()
    {
        foreach (var relative in Fixtures.KnownWeightSizes.Keys)
        {
            var shaped = Fixtures.Cfg(relative);
            var graph = DarknetLowering.Lower(shaped);
            foreach (var last in graph.Nodes.GroupBy(n => n.Origin.Layer).Select(g => g.Last()))
            {
                Assert.True(shaped.Shapes[last.Origin.Layer] == last.Shape, $"{relative} layer {last.Origin.Layer}: IR {last.Shape}, Darknet {shaped.Shapes[last.Origin.Layer]}");
            }
        }
    }

    [Fact]
    public void YoloHeads_CarryTheirMaskedAnchorsInPixels()
    {
        var heads = Lower("cfg/yolov4.cfg").Heads;

        Assert.Equal([8, 16, 32], heads.Select(h => h.Stride));
        Assert.Equal("12,16,19,36,40,28", string.Join(",", heads[0].Anchors));
        Assert.Equal([6, 7, 8], heads[2].Mask.AsEnumerable());
        Assert.Equal(1.05f, heads[2].ScaleXY);
        Assert.All(heads, h => Assert.Equal(HeadKind.Yolo, h.Kind));
    }

    [Fact]
    public void SoftmaxOverAMap_IsRefusedWithItsLocation()
    {
        var text = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=18\nsize=1\n[softmax]\n[yolo]\nclasses=1\nnum=3\n";

        var ex = Assert.Throws<UnsupportedFeatureException>(() => DarknetLowering.Lower(DarknetReader.ReadCfg(text, "map.cfg")));

        Assert.StartsWith("map.cfg:8:1: error: layer 1 [softmax] takes the softmax of a 18x32x32 map", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalAvgPool_IsAnAveragePoolWithMaxpoolsPadsThatExcludesPadding()
    {
        // local-avgpool-test.cfg: size 3 stride 1 (padding 2: one cell each side), size 2 stride 1 (padding 1: the end
        // only), size 2 stride 2 (padding 1 that the output never reaches), size 2 stride 2x1 padding 0.
        var graph = Lower("cfg/local-avgpool-test.cfg");
        var pools = graph.Nodes.Where(n => n.Origin.Role == "local_avgpool").ToList();

        Assert.Equal([1, 3, 4, 6], pools.Select(p => p.Origin.Layer));
        Assert.Equal(new AvgPool2d(3, 1, 1, new Pads(1, 1, 1, 1)), pools[0].Op);
        Assert.Equal(new AvgPool2d(2, 1, 1, new Pads(0, 1, 0, 1)), pools[1].Op);
        Assert.Equal(new AvgPool2d(2, 2, 2, new Pads(0, 0, 0, 0)), pools[2].Op);
        Assert.Equal(new AvgPool2d(2, 1, 2, new Pads(0, 0, 0, 0)), pools[3].Op);
        Assert.Equal([new TensorShape(16, 32, 32), new TensorShape(32, 32, 32), new TensorShape(32, 16, 16), new TensorShape(32, 15, 8)], pools.Select(p => p.Shape));
    }

    [Fact]
    public void GaussianYoloHeads_KeepTheirMaskedAnchorsAndNineEntries()
    {
        var graph = Lower("cfg/Gaussian_yolov3_BDD.cfg", 128);

        Assert.All(graph.Heads, h => Assert.Equal((HeadKind.GaussianYolo, 19, 57, "Gaussian_yolo"), (h.Kind, h.Entries, h.Shape.C, h.KindName)));
        Assert.Equal(new[] { 7f, 10, 14, 24, 27, 43 }, graph.Heads[2].Anchors.ToArray());
        Assert.Equal([32, 16, 8], graph.Heads.Select(h => h.Stride));
    }
}
