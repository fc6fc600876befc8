using System.Text;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.Darknet;

public sealed class DarknetReaderTests
{
    private const string Cfg = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=2\nsize=1\nactivation=leaky\n";

    [Fact]
    public void Read_CfgAndWeightsHandedOverAsStreams_ReadsBothUnderTheGivenNames()
    {
        var cfg = new InputFile("given.cfg", () => new MemoryStream(Encoding.UTF8.GetBytes(Cfg)));
        var weights = new InputFile("given.weights", () => new MemoryStream(WeightsBytes(2 + (2 * 3))));

        var (shaped, weighted) = DarknetReader.Read(cfg, weights);

        Assert.Equal("given.cfg", shaped.Network.Layers[0].Source.File);
        Assert.Equal(2, weighted.Weights[0]!.Biases.Length);
    }

    [Fact]
    public void WeightsFileOpen_WrongSize_NamesTheFileAsGiven()
    {
        var shaped = DarknetReader.ReadCfg(Cfg, "given.cfg");
        var weights = new InputFile("short.weights", () => new MemoryStream(WeightsBytes(3)));

        var ex = Assert.Throws<DarknetFormatException>(() => DarknetWeightsFile.Open(shaped, weights));

        Assert.Equal("short.weights", ex.Location?.File);
    }

    [Fact]
    public void WeightsFileOpen_DisposingTheFile_ClosesTheStreamItOpened()
    {
        var shaped = DarknetReader.ReadCfg(Cfg, "given.cfg");
        var stream = new MemoryStream(WeightsBytes(2 + (2 * 3)));

        DarknetWeightsFile.Open(shaped, new InputFile("w.weights", () => stream)).Dispose();

        Assert.False(stream.CanRead);
    }

    // A 20-byte header (version 0.2.0, seen 0) and `floats` values.
    private static byte[] WeightsBytes(int floats)
    {
        using var bytes = new MemoryStream();
        using var writer = new BinaryWriter(bytes);
        writer.Write(0);
        writer.Write(2);
        writer.Write(0);
        writer.Write(0L);
        for (var i = 0; i < floats; i++)
        {
            writer.Write(0.5f);
        }

        writer.Flush();
        return bytes.ToArray();
    }
}
