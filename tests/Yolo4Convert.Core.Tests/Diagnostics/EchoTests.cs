using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Diagnostics;

public sealed class EchoTests
{
    [Fact]
    public void Of_LongText_IsCutToSixtyCharactersWithAnEllipsis()
    {
        var echoed = Echo.Of(new string('7', 1_000_000));

        Assert.Equal(new string('7', 60) + "…", echoed);
    }

    [Fact]
    public void Of_ControlBytes_AreEscapedNotEchoed()
    {
        Assert.Equal("a\\0b\\x01\\x1B[31m\\tc\\r\\n", Echo.Of("a\0b\u0001\u001b[31m\tc\r\n"));
    }

    [Fact]
    public void Of_ShortPlainText_IsUnchanged()
    {
        Assert.Equal("filters=16", Echo.Of("filters=16"));
    }
}
