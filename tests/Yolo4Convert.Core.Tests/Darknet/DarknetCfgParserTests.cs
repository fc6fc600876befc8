using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Darknet;

public sealed class DarknetCfgParserTests
{
    [Fact]
    public void Parse_WhitespaceAnywhereAndComments_AreStrippedLikeDarknet()
    {
        var doc = DarknetCfgParser.Parse("# comment\n[net]\n  wid th = 416\r\n; other comment\n\nanchors = 10,13,  16,30\n", "a.cfg");

        var net = Assert.Single(doc.Sections);
        Assert.Equal("net", net.Name);
        Assert.Equal("416", net.Find("width")!.Value);
        Assert.Equal("10,13,16,30", net.Find("anchors")!.Value);
        Assert.Equal(3, net.Find("width")!.Location.Line);
    }

    [Fact]
    public void Find_DuplicateKey_FirstOccurrenceWins()
    {
        var doc = DarknetCfgParser.Parse("[net]\nbatch=64\nbatch=1\n", "a.cfg");

        Assert.Equal(64, doc.Sections[0].GetInt("batch", 0));
    }

    [Theory]
    [InlineData("255#comment", 255)]
    [InlineData("-3", -3)]
    [InlineData("2.5", 2)]
    [InlineData("yes", 0)]
    public void Atoi_ReadsTheNumericPrefixLikeC(string text, int expected) => Assert.Equal(expected, CfgSection.Atoi(text));

    [Theory]
    [InlineData(".5", 0.5f)]
    [InlineData("1e-3", 0.001f)]
    [InlineData("1.05#x", 1.05f)]
    public void Atof_ReadsTheNumericPrefixLikeC(string text, float expected) => Assert.Equal(expected, CfgSection.Atof(text));

    [Fact]
    public void Parse_OptionBeforeFirstSection_ReportsFileAndLine()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetCfgParser.Parse("\nwidth=416\n[net]\n", "bad.cfg"));

        Assert.StartsWith("bad.cfg:2:1: error: option 'width=416' appears before the first section", ex.Message);
    }

    [Fact]
    public void Parse_SectionWithTrailingComment_IsRejectedWithLocation()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetCfgParser.Parse("[net]\nwidth=1\n[convolutional] # first\n", "bad.cfg"));

        Assert.Equal(3, ex.Location!.Line);
        Assert.Contains("'[convolutional] # first' is not closed", ex.Message);
    }

    [Fact]
    public void Parse_EmptyValue_IsRejectedLikeDarknet()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetCfgParser.Parse("[net]\nwidth=\n", "bad.cfg"));

        Assert.StartsWith("bad.cfg:2:1: error: option 'width=' has an empty value", ex.Message);
    }
}
