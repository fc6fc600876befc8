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

    // yolo-fastest-1.1 made one-channel: channels=1, and the first convolution's kernels summed over R, G and B (so
    // on a gray image it sees what the original sees when R = G = B). Weights 0.2.5: a 20-byte header, then the first
    // convolution's 8 biases, scales, means and variances, then its 8×3×3×3 kernel.
    private static string GrayscaleModel(string folder)
    {
        var cfg = Path.Combine(folder, "gray.cfg");
        File.WriteAllText(cfg, File.ReadAllText(Fixtures.Shared(Fixtures.RealModelCfg)).Replace("channels=3", "channels=1", StringComparison.Ordinal));
        var original = File.ReadAllBytes(Fixtures.Shared(Fixtures.RealModelWeights));
        const int KernelStart = 20 + (4 * 8 * 4);
        var kernel = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(original.AsSpan(KernelStart, 4 * 8 * 27));
        var summed = new float[8 * 9];
        for (var f = 0; f < 8; f++)
        {
            for (var i = 0; i < 9; i++)
            {
                summed[(f * 9) + i] = kernel[(f * 27) + i] + kernel[(f * 27) + 9 + i] + kernel[(f * 27) + 18 + i];
            }
        }

        var weights = Path.Combine(folder, "gray.weights");
        using (var w = File.Create(weights))
        {
            w.Write(original.AsSpan(0, KernelStart));
            w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(summed.AsSpan()));
            w.Write(original.AsSpan(KernelStart + (4 * 8 * 27)));
        }

        var model = Path.Combine(folder, "gray.mlmodel");
        var (exit, _, stderr) = CliRunner.Run(cfg, weights, model, "--names", Fixtures.Shared("cfg/coco.names"));
        Assert.True(exit == 0, stderr);
        return model;
    }

    [Fact]
    public void Detect_GrayscaleModelOnAColourPng_FindsWhatItFindsOnThatPngsLumaAsAGrayPng()
    {
        var folder = Fixtures.TempFolder();
        var model = GrayscaleModel(folder);
        var (png, gray) = (Path.Combine(folder, "dog.png"), Path.Combine(folder, "dog-gray.png"));
        Fixtures.Python(Fixtures.Repo("tests/python/darknet_luma.py"), Fixtures.Shared(Fixtures.DogImage), png, Path.Combine(folder, "luma.bin"), gray);

        var colour = CliRunner.Run("detect", model, png, "--json");
        var luma = CliRunner.Run("detect", model, gray, "--json");

        // A one-channel PNG is what stb_image returns unchanged: the colour PNG must reach the network as exactly that.
        Assert.True(colour.Exit == 0, colour.Err);
        Assert.Contains("\"label\": \"car\"", colour.Out, StringComparison.Ordinal);
        Assert.Equal(luma.Out, colour.Out);
    }
}
