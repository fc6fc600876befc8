using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Diagnostics;

public sealed class Yolo4ConvertWarningTests
{
    [Fact]
    public void ToString_LocatedWarning_IsOneLineWithLocationAndHint()
    {
        var warning = new Yolo4ConvertWarning("unknown key 'x'.", SourceLocation.Text("a.cfg", 3, 1), "remove it.");

        Assert.Equal("a.cfg:3:1: warning: unknown key 'x'. Hint: remove it.", warning.ToString());
    }

    [Fact]
    public void Add_StrictLog_ThrowsTheWarningAsAnErrorAtItsLocation()
    {
        var log = new WarningLog { Strict = true };

        var ex = Assert.Throws<DarknetFormatException>(() => log.Add("unknown key 'x'.", SourceLocation.Text("a.cfg", 3, 1), "remove it."));

        Assert.Equal("a.cfg:3:1: error: unknown key 'x'. (an error under --strict) Hint: remove it.", ex.Message);
        Assert.Empty(log.Items);
    }

    [Fact]
    public void Add_LenientLog_KeepsTheWarningsInOrder()
    {
        var log = new WarningLog();

        log.Add("first", null);
        log.Add("second", null);

        Assert.Equal(["warning: first", "warning: second"], log.Items.Select(w => w.ToString()));
    }

    [Fact]
    public void Add_ManyWarnings_KeepsTheFirstHundredAndCountsAll()
    {
        var log = new WarningLog();

        for (var i = 0; i < 100_000; i++)
        {
            log.Add($"w{i}", null);
        }

        Assert.Equal((100, 100_000L), (log.Items.Count, log.Count));
        Assert.Equal("warning: w99", log.Items[^1].ToString());
    }
}
