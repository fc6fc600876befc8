using System.Text.Json;
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
}
