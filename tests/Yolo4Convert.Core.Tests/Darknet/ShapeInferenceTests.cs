using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests.Darknet;

public sealed class ShapeInferenceTests
{
    [Fact]
    public void Run_Yolov4_HeadsAre76And38And19()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4.cfg");

        var heads = shaped.Network.Heads.Select(h => shaped.InputShape(h)).ToArray();

        Assert.Equal([new TensorShape(255, 76, 76), new TensorShape(255, 38, 38), new TensorShape(255, 19, 19)], heads);
        Assert.Equal(64_363_101, shaped.ParameterCount);
    }

    [Fact]
    public void Run_Yolov4Tiny_RouteGroupsHalveTheChannels()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4-tiny.cfg");

        Assert.Equal(new TensorShape(32, 104, 104), shaped.Shapes[3]);
    }

    [Fact]
    public void Run_Yolov2Reorg_MapsTo13x13x256()
    {
        var shaped = Fixtures.Cfg("cfg/yolov2.cfg");
        var reorg = shaped.Network.Layers.OfType<ReorgLayer>().Single();

        Assert.Equal(new TensorShape(256, 13, 13), shaped.Shapes[reorg.Index]);
    }

    [Fact]
    public void Run_YoloFiltersNotMatchingClasses_SuggestsTheRightFilters()
    {
        var text = File.ReadAllText(Fixtures.Shared("cfg/yolov3-tiny.cfg")).Replace("classes=80", "classes=2", StringComparison.Ordinal);

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetReader.ReadCfg(text, "custom.cfg"));

        Assert.Contains("layer 16 [yolo] receives 255 channels from layer 15; expected 21 = 3 masked anchors × (classes=2 + 5).", ex.Message);
        Assert.Contains("Hint: set filters=21", ex.Message);
        Assert.StartsWith("custom.cfg:", ex.Message);
    }
}
