using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>A channels=1 network sees the image as Darknet reads it: stb_image's integer luma, then Darknet's resize.</summary>
public sealed class ImageFilesLumaTests
{
    [Theory]
    [InlineData(Fixtures.DogImage)]
    [InlineData("images/horses.jpg")]
    public void Prepare_GrayscaleNetwork_IsStbImagesIntegerLumaOfThePng(string image)
    {
        var folder = Fixtures.TempFolder();
        var png = Path.Combine(folder, "photo.png");
        var expectedFile = Path.Combine(folder, "luma.bin");
        Fixtures.Python(Fixtures.Repo("tests/python/darknet_luma.py"), Fixtures.Shared(image), png, expectedFile);
        var expected = Fixtures.ReadTensor(expectedFile);
        var rgb = ImageFiles.Load(png);

        // At the image's own size Darknet's resize copies every pixel, so what is left is the conversion to gray.
        var (gray, _) = ImageFiles.Prepare(rgb, rgb.W, rgb.H, letterbox: false, grayscale: true);

        Assert.Equal(expected.Shape, gray.Shape);
        Assert.Equal(expected.Data, gray.Data);
    }
}
