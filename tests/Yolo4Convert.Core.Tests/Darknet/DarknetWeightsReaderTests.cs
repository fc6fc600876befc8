using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Tests.Darknet;

public sealed class DarknetWeightsReaderTests
{
    public static TheoryData<string> ZooCfgs() => [.. Fixtures.KnownWeightSizes.Keys];

    [Theory]
    [MemberData(nameof(ZooCfgs))]
    public void ExpectedSize_EveryZooCfg_MatchesThePublishedSize(string cfg)
    {
        Assert.Equal(Fixtures.KnownWeightSizes[cfg], DarknetWeightsReader.ExpectedSize(Fixtures.Cfg(cfg)));
    }

    [Fact]
    public void Read_RealYoloFastest_ConsumesTheFileExactly()
    {
        using var stream = File.OpenRead(Fixtures.Shared(Fixtures.RealModelWeights));
        var weighted = DarknetWeightsReader.Read(Fixtures.Cfg(Fixtures.RealModelCfg), stream, "w");

        Assert.Equal((0, 2, 5, 20), (weighted.Header.Major, weighted.Header.Minor, weighted.Header.Revision, weighted.Header.Size));
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(84, weighted.Weights.Count(w => w is not null));
    }

    [Fact]
    public void Read_OldHeader_UsesSixteenBytes()
    {
        var shaped = Fixtures.Cfg("cfg/yolov2-tiny.cfg");
        using var stream = new MemoryStream();
        SeededWeights.Write(shaped, stream, major: 0, minor: 1);
        stream.Position = 0;

        var weighted = DarknetWeightsReader.Read(shaped, stream, "w");

        Assert.Equal(16, weighted.Header.Size);
        Assert.Equal(Fixtures.KnownWeightSizes["cfg/yolov2-tiny.cfg"] - 4, stream.Length);
    }

    [Fact]
    public void Read_SeededWeights_LandInTheRightLayers()
    {
        var shaped = Fixtures.Cfg("cfg/yolov3-tiny.cfg");
        using var stream = new MemoryStream();
        SeededWeights.Write(shaped, stream, seed: 5);
        var last = stream.ToArray()[^4..];
        stream.Position = 0;

        var weighted = DarknetWeightsReader.Read(shaped, stream, "w");

        // The last float of the file is the last kernel value of the last conv.
        var lastConv = weighted.Weights.Last(w => w is not null)!;
        Assert.Equal(BitConverter.ToSingle(last), lastConv.Kernel[^1]);
        Assert.All(weighted.Weights.Where(w => w?.BatchNorm is not null), w => Assert.All(w!.BatchNorm!.Variance, v => Assert.InRange(v, 0.5f, 1.5f)));
    }

    [Fact]
    public void Read_ShortFile_NamesTheLayerAndSizes()
    {
        var shaped = Fixtures.Cfg("cfg/yolov3-tiny.cfg");
        using var full = new MemoryStream();
        SeededWeights.Write(shaped, full);
        using var cut = new MemoryStream(full.ToArray()[..1_000_000]);

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetWeightsReader.Read(shaped, cut, "yolov3-tiny.weights"));

        Assert.StartsWith("yolov3-tiny.weights@1000000: error: the file ends at byte 1,000,000, inside layer 8 [convolutional] (line 73)", ex.Message);
        Assert.Contains("expected 35,434,956 bytes (20-byte header + 8,858,734 floats), found 1,000,000, 34,434,956 short.", ex.Message);
        Assert.Contains("classes/filters edited", ex.Message);
        Assert.EndsWith("Or was the download interrupted? Compare the file's size with the published one.", ex.Message);
    }

    [Theory]
    [InlineData(3, 24)]
    [InlineData(90, 285)]
    public void Read_CfgEditedForOtherClasses_HintNamesTheClassesTheWeightsFit(int classes, int filters)
    {
        var original = Fixtures.Cfg("cfg/yolov4-tiny.cfg");
        using var stream = new MemoryStream();
        SeededWeights.Write(original, stream);
        stream.Position = 0;
        var text = File.ReadAllText(Fixtures.Shared("cfg/yolov4-tiny.cfg"))
            .Replace("classes=80", $"classes={classes}", StringComparison.Ordinal)
            .Replace("filters=255", $"filters={filters}", StringComparison.Ordinal);
        var edited = DarknetReader.ReadCfg(text, "custom.cfg");

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetWeightsReader.Read(edited, stream, "w"));

        Assert.EndsWith($"Hint: the weights fit this cfg with classes=80 (filters=255 in the convolution before each head) where the cfg says classes={classes}: pass the cfg the weights were trained with.", ex.Message);
    }

    [Fact]
    public void Read_ExtraBytes_AreCountedAtTheirOffset()
    {
        var shaped = Fixtures.Cfg("cfg/yolov3-tiny.cfg");
        using var stream = new MemoryStream();
        SeededWeights.Write(shaped, stream);
        stream.Write(new byte[12]);
        stream.Position = 0;

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetWeightsReader.Read(shaped, stream, "w"));

        Assert.StartsWith("w@35434956: error: 12 bytes are left over after the last layer; expected 35,434,956 bytes", ex.Message);
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html>", "it is an HTML page")]
    [InlineData("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 257717640\n", "Git LFS pointer")]
    [InlineData("", "the weights file is empty")]
    public void Read_NotWeights_IsRecognised(string content, string expected)
    {
        using var stream = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(content));

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetWeightsReader.Read(Fixtures.Cfg("cfg/yolov3-tiny.cfg"), stream, "w"));

        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html>")]
    [InlineData("\r\n  \t\n<html lang=\"en\"><head>")]
    [InlineData("\n\n\n\n                                                            <!doctype html>")]
    public void Read_HtmlPageWithByteOrderMarkAndLeadingWhitespace_IsRecognised(string page)
    {
        using var stream = new MemoryStream([.. System.Text.Encoding.UTF8.Preamble, .. System.Text.Encoding.UTF8.GetBytes(page)]);

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetWeightsReader.Read(Fixtures.Cfg("cfg/yolov3-tiny.cfg"), stream, "w"));

        Assert.StartsWith("w@0: error: the weights file starts with '<", ex.Message, StringComparison.Ordinal);
        Assert.Contains("it is an HTML page", ex.Message);
    }
}
