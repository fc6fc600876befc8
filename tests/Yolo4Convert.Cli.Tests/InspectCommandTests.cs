using System.Text.Json;
using System.Text.RegularExpressions;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class InspectCommandTests
{
    [Fact]
    public void Inspect_Yolov4_PrintsTableParametersAndExactWeightsSize()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared("cfg/yolov4.cfg"));

        Assert.Equal(0, exit);
        Assert.Matches(@"\n +0 +conv mish +32 +3x3/1 +608 x 608 x 3 +-> 608 x 608 x 32 +0\.639\n", stdout);
        Assert.Matches(@"\n +1 +conv mish +64 +3x3/2 +608 x 608 x 32 +-> 304 x 304 x 64 +3\.407\n", stdout);
        Assert.Contains("  161  yolo ", stdout);
        Assert.Contains("total: 162 layers, 128.", stdout);
        Assert.Contains("64,363,101 parameters", stdout);
        Assert.Contains("weights file: 257,717,640 bytes", stdout);
    }

    [Fact]
    public void Inspect_RealWeights_ConfirmsTheMatch()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights));

        Assert.Equal(0, exit);
        Assert.Contains("weights ok: version 0.2.5, 20-byte header", stdout);
    }

    [Fact]
    public void Inspect_Json_IsMachineReadable()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared("cfg/yolov4-tiny.cfg"), "--json", "--size", "320x320");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(24_251_276, doc.RootElement.GetProperty("weightsBytes").GetInt64());
        Assert.Equal(320, doc.RootElement.GetProperty("input").GetProperty("width").GetInt32());
        Assert.Equal(38, doc.RootElement.GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void Inspect_Yolov4_TotalIsDarknetsPublished128_459BFlops()
    {
        // Darknet prints "Total BFLOPS 128.459" for yolov4.cfg at 608x608: convs plus the SPP maxpools and the shortcuts.
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared("cfg/yolov4.cfg"));

        Assert.Equal(0, exit);
        Assert.Contains("total: 162 layers, 128.459 BFLOPs", stdout);
        Assert.Matches(@"\n +7 +shortcut +from 4 +304 x 304 x 64 +-> 304 x 304 x 64 +0\.006\n", stdout); // 64·304·304 adds
        Assert.Matches(@"\n +112 +maxpool +13x13/1 +19 x 19 x 512 +-> 19 x 19 x 512 +0\.031\n", stdout); // 13²·512·19² compares
    }

    // "Total BFLOPS ..." as Darknet (AlexeyAB) prints it when it loads these cfgs at their own input size.
    [Theory]
    [InlineData("cfg/yolov4.cfg", "128.459")]
    [InlineData("cfg/yolov4-tiny.cfg", "6.910")]
    [InlineData("cfg/yolov3.cfg", "65.879")]
    [InlineData("cfg/yolov3-tiny.cfg", "5.571")]
    public void Inspect_ZooCfg_TotalIsWhatDarknetPrints(string cfg, string darknetTotal)
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared(cfg));

        Assert.Equal(0, exit);
        Assert.Matches($@"\ntotal: \d+ layers, {Regex.Escape(darknetTotal)} BFLOPs,", stdout);
    }

    [Fact]
    public void Inspect_YoloRows_ShowMaskAnchorsAndScale()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared("cfg/yolov4.cfg"));

        Assert.Equal(0, exit);
        Assert.Matches(@"\n +139 +yolo +76 x 76 x 255 +-> 76 x 76 x 255 +classes 80, mask 0,1,2, anchors 12,16 19,36 40,28, scale_x_y 1\.2\n", stdout);
        Assert.Matches(@"\n +161 +yolo .*mask 6,7,8, anchors 142,110 192,243 459,401, scale_x_y 1\.05\n", stdout);
    }

    [Fact]
    public void Inspect_Json_HasFullLayerRecordsAndTheDarknetTotal()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Fixtures.Shared("cfg/yolov4.cfg"), "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(128.459, doc.RootElement.GetProperty("bflops").GetDouble(), 3);
        var layers = doc.RootElement.GetProperty("layers");
        var conv = layers[1];
        Assert.Equal("convolutional", conv.GetProperty("type").GetString());
        Assert.Equal("mish", conv.GetProperty("activation").GetString());
        Assert.Equal(64, conv.GetProperty("filters").GetInt32());
        Assert.Equal(3, conv.GetProperty("size").GetInt32());
        Assert.Equal([2, 2], conv.GetProperty("stride").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([32, 608, 608], conv.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([64, 304, 304], conv.GetProperty("output").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(3.407, conv.GetProperty("bflops").GetDouble(), 3);
        var yolo = layers[161];
        Assert.Equal([6, 7, 8], yolo.GetProperty("mask").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(1.05, yolo.GetProperty("scaleXY").GetDouble(), 5);
        Assert.Equal(459, yolo.GetProperty("anchors")[2][0].GetDouble());
        Assert.Equal(80, yolo.GetProperty("classes").GetInt32());
    }
}
