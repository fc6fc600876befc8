using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>What `detect` writes and prints: the image format, Darknet-style boxes, the detection cap, names and image checks.</summary>
public sealed class DetectOutputTests
{
    /// <summary>Writes a small PNG with a smooth pattern.</summary>
    internal static void WritePng(string path, int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x + y) % 256)));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    // The demo model has random weights: with --threshold 0 every box of every class is a candidate.
    private static (string Folder, string Model, string Image) DemoModel()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model, "--names", Fixtures.Repo("samples/demo.names")).Exit);
        var image = Path.Combine(folder, "image.png");
        WritePng(image, 96, 64);
        return (folder, model, image);
    }

    [Theory]
    [InlineData("boxes.png", new byte[] { 0x89, 0x50, 0x4E, 0x47 })]
    [InlineData("boxes.jpg", new byte[] { 0xFF, 0xD8, 0xFF })]
    [InlineData("boxes.JPEG", new byte[] { 0xFF, 0xD8, 0xFF })]
    public void Detect_OutExtension_PicksTheFormat(string name, byte[] magic)
    {
        var (folder, model, image) = DemoModel();
        var output = Path.Combine(folder, name);

        var (exit, _, stderr) = CliRunner.Run("detect", model, image, "--out", output, "--threshold", "0.3");

        Assert.True(exit == 0, stderr);
        Assert.Equal(magic, File.ReadAllBytes(output)[..magic.Length]);
        using var decoded = SKBitmap.Decode(output);
        Assert.Equal((96, 64), (decoded.Width, decoded.Height));
        Assert.Equal(3, Directory.GetFiles(folder).Length); // model, image, output: no temporary
    }

    [Theory]
    [InlineData("boxes.bmp")]
    [InlineData("boxes")]
    [InlineData("boxes.png.txt")]
    public void Detect_OutWithAnotherExtension_ExitsOneBeforeRunning(string name)
    {
        var (folder, model, image) = DemoModel();
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", model, image, "--out", Path.Combine(folder, name)), 1);

        Assert.Equal($"error: --out '{name}' should end in .png, .jpg or .jpeg (the format follows the extension). See 'yolo4convert detect --help'.", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Detect_MoreDetectionsThanTheCap_PrintsTheStrongestAndSaysSo()
    {
        var (_, model, image) = DemoModel();

        var all = CliRunner.Run("detect", model, image, "--threshold", "0", "--iou", "1", "--max-detections", "100000");
        var capped = CliRunner.Run("detect", model, image, "--threshold", "0", "--iou", "1", "--max-detections", "7");

        Assert.Equal(0, all.Exit);
        Assert.Equal(string.Empty, all.Err);
        var allLines = all.Out.TrimEnd().Split('\n');
        Assert.True(allLines.Length > 1000, $"{allLines.Length} detections");
        Assert.Equal(0, capped.Exit);
        Assert.Equal(allLines[..7], capped.Out.TrimEnd().Split('\n'));
        Assert.Equal("note: more than 7 detections above 0; showing the 7 strongest (--max-detections).\n", capped.Err);
    }

    [Fact]
    public void Detect_DefaultCap_Is300()
    {
        var (_, model, image) = DemoModel();

        var (exit, stdout, stderr) = CliRunner.Run("detect", model, image, "--threshold", "0", "--iou", "1");

        Assert.Equal(0, exit);
        Assert.Equal(300, stdout.TrimEnd().Split('\n').Length);
        Assert.Contains("showing the 300 strongest", stderr);
    }

    [Theory]
    [InlineData(2, "the names file lists 2 names; the model's heads have 3 classes.")]
    [InlineData(4, "the names file lists 4 names; the model's heads have 3 classes.")]
    public void Detect_NamesOfAnotherCount_ExitsTwo(int count, string expected)
    {
        var (folder, model, image) = DemoModel();
        var names = Path.Combine(folder, "other.names");
        File.WriteAllLines(names, Enumerable.Range(0, count).Select(i => $"name{i}"));
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", model, image, "--names", names, "--out", Path.Combine(folder, "b.png")), 2);

        Assert.Contains(expected, line);
        Assert.StartsWith(names, line);
        CliAssert.Unchanged(before, folder);
    }

    [Theory]
    [InlineData("demo.mlmodel")]
    [InlineData("demo.h5")]
    public void Convert_NamesOfAnotherCount_ExitsTwoAndWritesNothing(string output)
    {
        var folder = Fixtures.TempFolder();
        var names = Path.Combine(folder, "two.names");
        File.WriteAllLines(names, ["circle", "square"]);
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, output), "--names", names), 2);

        Assert.Equal($"{names}: error: the names file lists 2 names; the cfg's heads have 3 classes. Hint: pass the names file the model was trained with (one name per line).", line);
        CliAssert.Unchanged(before, folder);
    }

    [Theory]
    [InlineData(30000, 30000)]
    [InlineData(16385, 8)]
    [InlineData(10000, 6000)]
    public void Detect_HugeImage_ExitsTwoFromTheHeaderAlone(int width, int height)
    {
        var (folder, model, _) = DemoModel();
        var image = Path.Combine(folder, "huge.png");
        File.WriteAllBytes(image, PngHeaderOnly(width, height));
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", model, image, "--out", Path.Combine(folder, "b.png")), 2);

        Assert.Equal($"{image}: error: the image is {width}x{height} pixels; expected at most 16384 per side and 50 megapixels. Hint: scale the image down first; the network sees it at its own input size anyway.", line);
        CliAssert.Unchanged(before, folder);
    }

    [Theory]
    [InlineData("notes.png", "these are not pixels")]
    [InlineData("empty.jpg", "")]
    public void Detect_ImageThatIsNoImage_ExitsTwoAndKeepsAnExistingOut(string name, string content)
    {
        var (folder, model, _) = DemoModel();
        var image = Path.Combine(folder, name);
        File.WriteAllText(image, content);
        File.WriteAllText(Path.Combine(folder, "b.png"), "previous drawing");
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", model, image, "--out", Path.Combine(folder, "b.png")), 2);

        Assert.Equal($"{image}: error: the image could not be decoded; expected a JPEG or PNG file.", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Verify_HugeImage_ExitsTwo()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);
        var image = Path.Combine(folder, "huge.png");
        File.WriteAllBytes(image, PngHeaderOnly(30000, 30000));

        var line = CliAssert.OneErrorLine(CliRunner.Run("verify", Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model, "--image", image), 2);

        Assert.Contains("the image is 30000x30000 pixels", line);
    }

    [Fact]
    public void Group_ClassesOfOneBox_BecomeOneObjectStrongestFirst()
    {
        var objects = DetectionDrawing.Group(
        [
            (16, "dog", 0.83f, new ImageBox(10f, 20f, 100f, 80f)),
            (18, "sheep", 0.30f, new ImageBox(10f, 20f, 100f, 80f)),
            (1, "bicycle", 0.92f, new ImageBox(50f, 60f, 200f, 120f)),
            (2, "car", 0.20f, new ImageBox(300f, 10f, 50f, 40f)),
        ]);

        Assert.Equal(["bicycle 92%", "dog 83%, sheep 30%", "car 20%"], objects.Select(o => o.Label));
        Assert.Equal(["car 20%", "dog 83%, sheep 30%", "bicycle 92%"], DetectionDrawing.PaintOrder(objects).Select(o => o.Label));
    }

    [Theory]
    [InlineData(10f, 50f, 30f, 20f, 10f, 30f)] // room above the box: the label sits on it
    [InlineData(10f, 5f, 30f, 20f, 10f, 5f)] // no room above: just inside the box's top
    [InlineData(90f, 50f, 30f, 20f, 70f, 30f)] // would leave the right edge: pushed left
    [InlineData(-20f, 95f, 30f, 20f, 0f, 75f)] // off the left and near the bottom: pulled inside
    public void LabelPlacement_Preferred_StaysInsideTheImage(float left, float top, float w, float h, float x, float y)
    {
        Assert.Equal((x, y), LabelPlacement.Preferred(new ImageBox(left, top, 40f, 30f), w, h, 100, 100));
    }

    [Fact]
    public void Detect_RealModelOnPerson_DrawsOneLabelPerObjectWithTheStrongestOnTop()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "fastest.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--names", Fixtures.Shared("cfg/coco.names")).Exit);
        var output = Path.Combine(folder, "person.jpg");

        var (exit, stdout, stderr) = CliRunner.Run("detect", model, Fixtures.Shared("images/person.jpg"), "--out", output, "--threshold", "0.2");

        Assert.True(exit == 0, stderr);
        var labels = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).ToList();
        Assert.Contains("person", labels);
        Assert.Contains("dog", labels);
        Assert.Equal([0xFF, 0xD8, 0xFF], File.ReadAllBytes(output)[..3]);
        using var original = SKBitmap.Decode(Fixtures.Shared("images/person.jpg"));
        using var drawn = SKBitmap.Decode(output);
        Assert.Equal((original.Width, original.Height), (drawn.Width, drawn.Height));
    }

    [Fact]
    public void Detect_BoxReachingPastTheImage_IsClampedInTextAndJson()
    {
        // On horses.jpg yolo-fastest finds a horse whose decoded box starts 5 pixels left of the image.
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "fastest.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--names", Fixtures.Shared("cfg/coco.names")).Exit);
        var image = Fixtures.Shared("images/horses.jpg");
        using var original = SKBitmap.Decode(image);
        var (w, h) = (original.Width, original.Height);

        var text = CliRunner.Run("detect", model, image);
        var json = CliRunner.Run("detect", model, image, "--json");

        Assert.True(text.Exit == 0 && json.Exit == 0, text.Err + json.Err);
        var lines = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var printed = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"left=(-?\d+) top=(-?\d+) width=(-?\d+) height=(-?\d+)"))
            .Select(m => (L: int.Parse(m.Groups[1].Value), T: int.Parse(m.Groups[2].Value), W: int.Parse(m.Groups[3].Value), H: int.Parse(m.Groups[4].Value)))
            .ToList();
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        var fromJson = doc.RootElement.EnumerateArray()
            .Select(e => (L: e.GetProperty("left").GetDouble(), T: e.GetProperty("top").GetDouble(), W: e.GetProperty("width").GetDouble(), H: e.GetProperty("height").GetDouble()))
            .ToList();
        Assert.Equal(lines.Length, fromJson.Count);
        Assert.All(printed, b => Assert.True(b.L >= 0 && b.T >= 0 && b.W >= 0 && b.H >= 0 && b.L + b.W <= w && b.T + b.H <= h, $"{b} outside {w}x{h}"));
        Assert.All(fromJson, b => Assert.True(b.L >= 0 && b.T >= 0 && b.W >= 0 && b.H >= 0 && b.L + b.W <= w + 1e-3 && b.T + b.H <= h + 1e-3, $"{b} outside {w}x{h}"));
        Assert.Contains(printed, b => b.L == 0); // the horse reaching past the left edge, cut at it
        Assert.Contains(fromJson, b => b.L == 0);
    }

    // A PNG whose header announces the given size; its pixel data is a few bytes of a single row, enough for any
    // decoder to read the header and refuse to decode the rest.
    private static byte[] PngHeaderOnly(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        Chunk(ms, "IHDR", ihdr);
        using (var z = new MemoryStream())
        {
            using (var deflate = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflate.Write(new byte[1 + (3 * Math.Min(width, 64))]);
            }

            Chunk(ms, "IDAT", z.ToArray());
        }

        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(header, 4);
        s.Write(header);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. header[4..], .. data]));
        s.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
