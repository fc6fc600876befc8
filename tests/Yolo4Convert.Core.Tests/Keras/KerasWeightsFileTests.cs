using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Tests.Keras;

/// <summary>
/// The Keras export read from the .weights file one convolution at a time (<see cref="DarknetWeightsFile"/>) against
/// the export from weights read whole first: the same bytes, which the h5py tests of <see cref="KerasH5WriterTests"/>
/// check against Darknet's values.
/// </summary>
[Trait("Format", "Keras")]
public sealed class KerasWeightsFileTests
{
    // Small kernels stored inside object headers and large ones streamed (every model has both); depthwise
    // convolutions (enet, yolo-fastest); route groups (yolov4-tiny, -3l); many 1×1 convolutions (yolov7-tiny);
    // the real weights of yolo-fastest.
    public static TheoryData<string> Models() =>
    [
        "cfg/yolov4-tiny.cfg", "cfg/yolov4-tiny-3l.cfg", "cfg/yolov3-tiny.cfg", "cfg/enet-coco.cfg", "cfg/yolov7-tiny.cfg",
        Fixtures.RealModelCfg,
    ];

    private static string WeightsOf(string cfg) =>
        cfg == Fixtures.RealModelCfg ? Fixtures.Shared(Fixtures.RealModelWeights) : Fixtures.SeededWeightsFile(cfg);

    [Theory]
    [MemberData(nameof(Models))]
    public void Write_FromTheWeightsFile_GivesTheBytesOfTheWeightsReadWhole(string cfg)
    {
        var weightsPath = WeightsOf(cfg);
        var (shaped, weighted) = DarknetReader.Read(TestFiles.Open(Fixtures.Shared(cfg)), TestFiles.Open(weightsPath));
        using var whole = new MemoryStream();
        new KerasH5Writer().Write(weighted, shaped, whole);

        using var streamed = new MemoryStream();
        var warnings = new WarningLog();
        using (var file = File.OpenRead(weightsPath))
        {
            new KerasH5Writer().Write(shaped, DarknetWeightsFile.Open(shaped, file, weightsPath, warnings), streamed);
        }

        Assert.True(streamed.Length > shaped.TotalWeightFloats * 4, $"{streamed.Length} bytes for {shaped.TotalWeightFloats} weights");
        Assert.Equal(whole.ToArray(), streamed.ToArray());
        Assert.Equal(0, warnings.Count);
    }

    [Fact]
    public void Write_FromTheWeightsFileToAForwardOnlyStream_GivesTheSameBytes()
    {
        // A stream that cannot seek gets the file built whole in memory: every kernel is read up front.
        const string cfg = "cfg/yolov4-tiny.cfg";
        var weightsPath = WeightsOf(cfg);
        var (shaped, weighted) = DarknetReader.Read(TestFiles.Open(Fixtures.Shared(cfg)), TestFiles.Open(weightsPath));
        using var whole = new MemoryStream();
        new KerasH5Writer().Write(weighted, shaped, whole);

        using var ordinary = new MemoryStream();
        using (var file = File.OpenRead(weightsPath))
        {
            new KerasH5Writer().Write(shaped, DarknetWeightsFile.Open(shaped, file, weightsPath), new ForwardOnlyStream(ordinary));
        }

        Assert.Equal(whole.ToArray(), ordinary.ToArray());
    }

    [Fact]
    public void Write_FromAWeightsFileWithNaN_WarnsOnceForASmallAndOnceForALargeKernel()
    {
        // The per-filter values of every layer are read up front and a large kernel again when it is written: the
        // checks still report each layer once, at the byte offset of its first bad value.
        const string cfg = "cfg/yolov4-tiny.cfg";
        var shaped = Fixtures.Cfg(cfg);
        var bytes = File.ReadAllBytes(Fixtures.SeededWeightsFile(cfg));
        long header;
        using (var probe = new MemoryStream(bytes))
        {
            header = DarknetWeightsFile.Open(shaped, probe, "probe").Header.Size;
        }

        var convs = shaped.Network.Layers.OfType<ConvolutionalLayer>().ToList();
        long KernelStart(ConvolutionalLayer c) =>
            header + (4 * shaped.Network.Layers.Take(c.Index).Sum(shaped.WeightFloats)) + (4L * c.Filters * (c.BatchNormalize ? 4 : 1));
        var small = convs.First(c => shaped.KernelCount(c) * 4 < 32768);
        var large = convs.Last(c => shaped.KernelCount(c) * 4 >= 32768);
        var poked = new[] { KernelStart(small) + 8, KernelStart(large) + 4000 };
        foreach (var at in poked)
        {
            BitConverter.GetBytes(float.NaN).CopyTo(bytes, at);
        }

        var warnings = new WarningLog();
        using var output = new MemoryStream();
        new KerasH5Writer().Write(shaped, DarknetWeightsFile.Open(shaped, new MemoryStream(bytes), "bad.weights", warnings), output);

        var found = warnings.Items.Select(w => (w.Message, w.Location?.ToString() ?? string.Empty)).OrderBy(w => w.Item2, StringComparer.Ordinal).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains(found, w => w.Message.StartsWith($"layer {small.Index} ", StringComparison.Ordinal) && w.Message.Contains($"at byte {poked[0]:N0}", StringComparison.Ordinal));
        Assert.Contains(found, w => w.Message.StartsWith($"layer {large.Index} ", StringComparison.Ordinal) && w.Message.Contains($"at byte {poked[1]:N0}", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_StrictAndNaNInALargeKernel_FailsWithTheWarningAsAnError()
    {
        // The large kernels are read on a second thread: its failure reaches the caller, and nothing waits forever.
        const string cfg = "cfg/yolov4-tiny.cfg";
        var shaped = Fixtures.Cfg(cfg);
        var bytes = File.ReadAllBytes(Fixtures.SeededWeightsFile(cfg));
        var large = shaped.Network.Layers.OfType<ConvolutionalLayer>().Last(c => shaped.KernelCount(c) * 4 >= 32768);
        long header;
        using (var probe = new MemoryStream(bytes))
        {
            header = DarknetWeightsFile.Open(shaped, probe, "probe").Header.Size;
        }

        var at = header + (4 * shaped.Network.Layers.Take(large.Index).Sum(shaped.WeightFloats)) + (4L * large.Filters * (large.BatchNormalize ? 4 : 1)) + 400;
        BitConverter.GetBytes(float.PositiveInfinity).CopyTo(bytes, at);

        var strict = new WarningLog { Strict = true };
        using var output = new MemoryStream();
        var error = Assert.Throws<DarknetFormatException>(() =>
            new KerasH5Writer().Write(shaped, DarknetWeightsFile.Open(shaped, new MemoryStream(bytes), "bad.weights", strict), output));

        Assert.Contains($"layer {large.Index} [convolutional]", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at byte {at:N0}", error.Message, StringComparison.Ordinal);
    }
}
