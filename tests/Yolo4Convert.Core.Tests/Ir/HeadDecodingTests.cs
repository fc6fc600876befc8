using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;

namespace Yolo4Convert.Tests.Ir;

/// <summary>The decode plan of each head kind, against Darknet's formulas (yolo_layer.c get_yolo_box, region_layer.c get_region_box) with the cfgs' own numbers.</summary>
public sealed class HeadDecodingTests
{
    private static ImmutableArray<HeadDecoding> Plan(string cfg, int size)
    {
        var graph = DarknetLowering.Lower(Fixtures.Cfg(cfg, size));
        return HeadDecoding.Plan(graph.Heads, graph.Net.Width, graph.Net.Height);
    }

    [Fact]
    public void Yolo_ScaleXY_LogisticCentresExpSizesInPixelsOverTheInput()
    {
        // yolov4.cfg at 160: heads at strides 8, 16, 32 (grids 20, 10, 5), scale_x_y 1.2 / 1.1 / 1.05, masks 0,1,2 / 3,4,5 / 6,7,8.
        var plan = Plan("cfg/yolov4.cfg", 160);

        Assert.Equal([20, 10, 5], plan.Select(h => h.GridWidth));
        var first = plan[0];
        Assert.Equal((3, 80, 85, true), (first.Anchors, first.Classes, first.Entries, first.Logistic));
        Assert.Equal((SizeGrowth.Exp, ClassProbability.Logistic), (first.Growth, first.Probability));
        Assert.Equal(1.2f / 20, first.ScaleX, 1e-6);

        // x = (col + σ·s − (s−1)/2)/W: cell (row 3, col 7) of the 20×20 grid.
        var cell = (3 * 20) + 7;
        Assert.Equal((7 - (0.2 / 2)) / 20, first.GridOffsets[2 * cell], 1e-6);
        Assert.Equal((3 - (0.2 / 2)) / 20, first.GridOffsets[(2 * cell) + 1], 1e-6);

        // w = e^t · anchor_w / net_w: the third head's anchors are 142,110 192,243 459,401 (mask 6,7,8).
        Assert.Equal([142 / 160.0, 110 / 160.0, 192 / 160.0, 243 / 160.0, 459 / 160.0, 401 / 160.0], plan[2].AnchorSizes.Select(v => Math.Round(v, 6)), new Tolerance());

        // Rows: head by head, H·W·A each.
        Assert.Equal([0, 1200, 1500], plan.Select(h => h.FirstRow));
        Assert.Equal(1575, HeadDecoding.TotalRows(plan));
    }

    [Fact]
    public void YoloNewCoords_NoLogisticAndFourTimesTheAnchorForTheSquare()
    {
        // yolov4-csp.cfg at 128: new_coords=1, scale_x_y 2.0; first head mask 0,1,2 of 12,16 19,36 40,28.
        var first = Plan("cfg/yolov4-csp.cfg", 128)[0];

        Assert.False(first.Logistic);
        Assert.Equal((SizeGrowth.Square, ClassProbability.AsIs), (first.Growth, first.Probability));
        Assert.Equal(2f / first.GridWidth, first.ScaleX, 1e-6);

        // x = (col + t·2 − 0.5)/W; w = (2t)²·anchor/net = t²·(4·anchor/net).
        Assert.Equal((0 - 0.5) / first.GridWidth, first.GridOffsets[0], 1e-6);
        Assert.Equal([4 * 12 / 128.0, 4 * 16 / 128.0, 4 * 19 / 128.0, 4 * 36 / 128.0, 4 * 40 / 128.0, 4 * 28 / 128.0], first.AnchorSizes.Select(v => (double)v), new Tolerance());
    }

    [Fact]
    public void Region_SoftmaxClassesAndAnchorsInGridCells()
    {
        // yolov2.cfg at 128: one [region] head, grid 4×4, 5 anchors in grid cells, softmax=1.
        var head = Assert.Single(Plan("cfg/yolov2.cfg", 128));

        Assert.Equal((4, 4, 5, true), (head.GridWidth, head.GridHeight, head.Anchors, head.Logistic));
        Assert.Equal((SizeGrowth.Exp, ClassProbability.Softmax), (head.Growth, head.Probability));
        Assert.Equal(1f / 4, head.ScaleX, 1e-6);

        // x = (col + σ(tx))/W; w = e^tw · anchor_w / W.
        var cell = (2 * 4) + 1;
        Assert.Equal((1 / 4.0, 2 / 4.0), (head.GridOffsets[2 * cell], head.GridOffsets[(2 * cell) + 1]));
        Assert.Equal(0.57273 / 4, head.AnchorSizes[0], 1e-6);
        Assert.Equal(9.16828 / 4, head.AnchorSizes[9], 1e-6);
        Assert.Equal(4 * 4 * 5, head.Rows);
    }

    [Fact]
    public void Plan_RefusesRegionWithoutSoftmaxMixedClassesAndWrongChannels()
    {
        var head = DarknetLowering.Lower(Fixtures.Cfg("cfg/yolov2.cfg", 128)).Heads[0];

        var noSoftmax = Assert.Throws<UnsupportedFeatureException>(() => HeadDecoding.Plan([head with { Softmax = false }], 128, 128));
        var mixed = Assert.Throws<UnsupportedFeatureException>(() => HeadDecoding.Plan([head, head with { Classes = 20, Shape = new TensorShape(125, 4, 4) }], 128, 128));
        var channels = Assert.Throws<UnsupportedFeatureException>(() => HeadDecoding.Plan([head with { Shape = new TensorShape(424, 4, 4) }], 128, 128));

        Assert.Contains("softmax=0", noSoftmax.Message, StringComparison.Ordinal);
        Assert.Contains("classes=20 but layer", mixed.Message, StringComparison.Ordinal);
        Assert.Contains("reads 424 channels; 5 anchors × (5 + 80 classes) = 425", channels.Message, StringComparison.Ordinal);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-6;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void GaussianYolo_EntriesInterleaveTheUncertaintiesAndScaleThemAsForward()
    {
        // Gaussian_yolov3_BDD.cfg at 128: 10 classes, 3 anchors a head, scale_x_y 1.0; per anchor x, σx, y, σy, w, σw, h, σh, obj, classes.
        var plan = Plan("cfg/Gaussian_yolov3_BDD.cfg", 128);

        var first = plan[0];
        Assert.Equal(HeadKind.GaussianYolo, first.Head.Kind);
        Assert.Equal((3, 10, 19, 2, 8, 9, true), (first.Anchors, first.Classes, first.Entries, first.CoordinateStep, first.ObjectnessEntry, first.ClassEntry, first.HasUncertainty));
        Assert.Equal((SizeGrowth.Exp, ClassProbability.Logistic), (first.Growth, first.Probability));
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, first.UncertaintyScale.ToArray());
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, first.UncertaintyOffset.ToArray());

        // Anchors in pixels over the input, as [yolo]: the first head's mask 6,7,8 is 73,175 141,178 144,291.
        Assert.Equal([73 / 128.0, 175 / 128.0, 141 / 128.0, 178 / 128.0, 144 / 128.0, 291 / 128.0], first.AnchorSizes.Select(v => Math.Round(v, 6)), new Tolerance());

        // scale_x_y s: x and σx (y and σy) are σ(t)·s − (s−1)/2 in forward_gaussian_yolo_layer; σw, σh stay σ(t).
        var text = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=11\nsize=1\n[Gaussian_yolo]\nclasses=2\nscale_x_y=1.2\n";
        var graph = DarknetLowering.Lower(Yolo4Convert.Darknet.DarknetReader.ReadCfg(text, "g.cfg"));
        var scaled = HeadDecoding.Plan(graph.Heads, 32, 32)[0];
        Assert.Equal(new[] { 1.2f, 1.2f, 1f, 1f }, scaled.UncertaintyScale.ToArray());
        Assert.Equal(new[] { -0.1, -0.1, 0, 0 }, scaled.UncertaintyOffset.Select(v => Math.Round(v, 6)), new Tolerance());

        // [yolo] heads carry no uncertainty and keep 5 + K entries.
        var yolo = Plan("cfg/yolov3-tiny.cfg", 128)[0];
        Assert.Equal((1, 85, 4, 5, false), (yolo.CoordinateStep, yolo.Entries, yolo.ObjectnessEntry, yolo.ClassEntry, yolo.HasUncertainty));
    }
}
