using Yolo4Convert.Diagnostics;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class ClassNamesTests
{
    [Fact]
    public void Read_WrongCount_IsANamesFileErrorNamingTheFile()
    {
        var path = Path.Combine(Fixtures.TempFolder(), "two.names");
        File.WriteAllText(path, "cat\ndog\n");

        var ex = Assert.Throws<NamesFormatException>(() => ClassNames.Read(new FileInfo(path), 3, "the cfg's heads"));

        Assert.Equal(path, ex.Location?.File);
        Assert.Contains("lists 2 names; the cfg's heads have 3 classes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EmptyLine_IsANamesFileErrorAtItsLine()
    {
        var path = Path.Combine(Fixtures.TempFolder(), "gap.names");
        File.WriteAllText(path, "cat\n\ndog\n");

        var ex = Assert.Throws<NamesFormatException>(() => ClassNames.Read(new FileInfo(path), 2, "the cfg's heads"));

        Assert.Equal(2, ex.Location?.Line);
    }
}
