using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests.Darknet;

public sealed class LayerFactsTests
{
    [Fact]
    public void Of_Yolov4TinyConv_GivesTypeFiltersGeometryAndSettings()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4-tiny.cfg");

        var facts = LayerFacts.Of(shaped, shaped.Network.Layers[0]);

        Assert.Equal("conv leaky", facts.Type);
        Assert.Equal("32", facts.Filters);
        Assert.Equal("3x3/2", facts.Geometry);
        Assert.Null(facts.HeadText);
        Assert.Equal(Activation.Leaky, facts.Activation);
        Assert.Equal(new TensorShape(3, 416, 416), facts.Input);
        Assert.Equal(new TensorShape(32, 208, 208), facts.Output);
        Assert.Equal(["filters", "size", "stride", "padding", "groups", "dilation", "batchNormalize", "activation"], facts.Settings.Select(s => s.Key));
        Assert.Equal(new[] { 2, 2 }, facts.Settings.Single(s => s.Key == "stride").Value);
        Assert.Equal(shaped.WeightFloats(shaped.Network.Layers[0]), facts.WeightFloats);
    }

    [Fact]
    public void Of_Yolov4TinyRouteWithGroups_ShowsItsSourceAndGroup()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4-tiny.cfg");

        var facts = LayerFacts.Of(shaped, shaped.Network.Layers[3]);

        Assert.Equal("route", facts.Type);
        Assert.Equal(string.Empty, facts.Filters);
        Assert.Equal("2 g1/2", facts.Geometry);
        Assert.Equal(["groups", "groupId"], facts.Settings.Select(s => s.Key));
    }

    [Fact]
    public void Of_Yolov4TinyHead_GivesItsMaskedAnchorsInPixels()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4-tiny.cfg");

        var facts = LayerFacts.Of(shaped, shaped.Network.Heads.First());

        Assert.Equal("yolo", facts.Type);
        Assert.Equal("classes 80, mask 3,4,5, anchors 81,82 135,169 344,319, scale_x_y 1.05", facts.HeadText);
        Assert.Equal(0, facts.WeightFloats);
    }

    [Fact]
    public void ActivationOf_Yolov4_FindsEveryMishLayer()
    {
        var cfg = File.ReadAllLines(Fixtures.Shared("cfg/yolov4.cfg"));
        var shaped = Fixtures.Cfg("cfg/yolov4.cfg");

        var mish = shaped.Network.Layers.Count(l => LayerFacts.ActivationOf(l) == Activation.Mish);

        Assert.Equal(cfg.Count(l => l.Replace(" ", string.Empty, StringComparison.Ordinal) == "activation=mish"), mish);
        Assert.True(mish > 0);
    }

    [Fact]
    public void Of_LinearShortcut_KeepsTheSectionNameAndShowsItsSource()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4.cfg");

        var shortcut = shaped.Network.Layers.First(l => l.Kind == "shortcut");
        var facts = LayerFacts.Of(shaped, shortcut);

        Assert.Equal("shortcut", facts.Type);
        Assert.StartsWith("from ", facts.Geometry, StringComparison.Ordinal);
        Assert.Equal(Activation.Linear, facts.Activation);
    }
}
