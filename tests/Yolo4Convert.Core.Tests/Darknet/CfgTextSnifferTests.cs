using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Darknet;

public sealed class CfgTextSnifferTests
{
    [Fact]
    public void ReadCfgText_WeightsFile_AsksWhetherCfgAndWeightsWereSwapped()
    {
        var weights = Fixtures.Repo("samples/demo.weights");

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetReader.ReadCfgText(TestFiles.Open(weights)));

        Assert.Equal($"{weights}@0: error: this looks like a binary file (a .weights?) of 323,988 bytes; expected a Darknet .cfg text. Hint: did you swap CFG and WEIGHTS? The cfg comes first: yolo4convert CFG WEIGHTS OUTPUT.", ex.Message);
    }

    [Fact]
    public void Parse_TextWithNul_IsABinaryFileAtItsLineAndColumn()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetCfgParser.Parse("[net]\nwid\0th=1\n", "t.cfg"));

        Assert.StartsWith("t.cfg:2:4: error: this looks like a binary file", ex.Message);
    }

    [Fact]
    public void ReadCfgText_HugeFile_IsRefusedBeforeReadingIt()
    {
        var path = Path.Combine(Fixtures.TempFolder(), "big.cfg");
        using (var f = File.Create(path))
        {
            f.Write("[net]\n"u8);
            f.SetLength(CfgTextSniffer.MaxBytes + 1);
        }

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetReader.ReadCfgText(TestFiles.Open(path)));

        Assert.Contains("this looks like a binary file", ex.Message); // the zero fill is caught first
    }

    [Fact]
    public void ReadCfgText_LongTextFile_IsRefusedAsTooLarge()
    {
        var path = Path.Combine(Fixtures.TempFolder(), "big.cfg");
        File.WriteAllText(path, "[net]\n" + string.Concat(Enumerable.Repeat("# comment line of text\n", 200_000)));

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetReader.ReadCfgText(TestFiles.Open(path)));

        Assert.Contains("error: the cfg is 4,600,006 bytes; expected a Darknet .cfg text of at most 4,194,304 bytes.", ex.Message);
    }

    [Fact]
    public void Parse_MegabyteLineWithControlBytes_EchoesSixtyEscapedCharacters()
    {
        var ex = Assert.Throws<DarknetFormatException>(() => DarknetCfgParser.Parse("[net]\n[conv\u001b" + new string('x', 1_000_000) + "\n", "t.cfg"));

        Assert.Equal("t.cfg:2:1: error: section header '[conv\\x1B" + new string('x', 54) + "…' is not closed; expected '[name]' alone on the line. Hint: Darknet keeps the whole line as the section name, so a trailing comment or a missing ']' makes the section unknown.",
            ex.Message);
        Assert.True(ex.Message.Length < 300);
    }
}
