using Yolo4Convert.Diagnostics;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class ImageFilesTests
{
    [Fact]
    public void Load_NotAnImage_IsAnImageErrorNamingTheFile()
    {
        var path = Path.Combine(Fixtures.TempFolder(), "page.jpg");
        File.WriteAllText(path, "<html>not an image</html>");

        var ex = Assert.Throws<ImageFormatException>(() => ImageFiles.Load(path));

        Assert.Equal(path, ex.Location?.File);
        Assert.Contains("could not be decoded", ex.Message, StringComparison.Ordinal);
    }
}
