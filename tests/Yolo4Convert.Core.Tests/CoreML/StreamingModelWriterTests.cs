using Google.Protobuf;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Tests.CoreML;

/// <summary>
/// The streamed .mlmodel (weights read from the file a chunk at a time, every length computed ahead) against the
/// same model built whole as a protobuf message and serialised the ordinary way.
/// </summary>
public sealed class StreamingModelWriterTests
{
    public static TheoryData<string> Zoo() =>
    [
        "cfg/yolov4.cfg", "cfg/yolov4-tiny.cfg", "cfg/yolov4-tiny-3l.cfg", "cfg/yolov4-csp.cfg", "cfg/yolov4x-mish.cfg",
        "cfg/yolov3.cfg", "cfg/yolov3-spp.cfg", "cfg/yolov3-tiny.cfg", "cfg/yolov2.cfg", "cfg/yolov2-tiny.cfg",
        "cfg/yolov7-tiny.cfg", "cfg/enet-coco.cfg",
    ];

    [Theory]
    [MemberData(nameof(Zoo))]
    public void Write_FromTheWeightsFile_IsTheOrdinarySerialisation(string cfg)
    {
        var (expected, streamed) = Both(cfg, new CoreMLWriterOptions());

        Assert.True(expected.AsSpan().SequenceEqual(streamed), $"{cfg}: {streamed.Length} streamed bytes differ from the {expected.Length} of the message");
    }

    [Theory]
    [InlineData("cfg/yolov4-csp.cfg", "fp16")]
    [InlineData("cfg/yolov3-tiny.cfg", "fp16")]
    [InlineData("cfg/yolov4-tiny.cfg", "linear8")]
    [InlineData("cfg/yolov4-tiny.cfg", "kmeans8")]
    [InlineData("cfg/yolov2-tiny.cfg", "kmeans6")]
    [InlineData("cfg/yolov3-tiny.cfg", "kmeans4")]
    public void Write_EveryWeightFormat_IsTheOrdinarySerialisation(string cfg, string format)
    {
        var options = format switch
        {
            "fp16" => new CoreMLWriterOptions { Precision = WeightFormat.Fp16, Mish = MishLowering.Native },
            "linear8" => new CoreMLWriterOptions { Quantization = WeightFormat.Linear8 },
            "kmeans8" => new CoreMLWriterOptions { Quantization = WeightFormat.KMeans8, Precision = WeightFormat.Fp16 },
            "kmeans6" => new CoreMLWriterOptions { Quantization = WeightFormat.KMeans6 },
            _ => new CoreMLWriterOptions { Quantization = WeightFormat.KMeans4 },
        };

        var (expected, streamed) = Both(cfg, options);

        Assert.True(expected.AsSpan().SequenceEqual(streamed), $"{cfg} {format}: {streamed.Length} streamed bytes differ from the {expected.Length} of the message");
    }

    [Theory]
    [InlineData("cfg/yolov4.cfg")]
    [InlineData("cfg/yolov2-tiny.cfg")]
    [InlineData("cfg/yolov7-tiny.cfg")]
    public void Write_NmsPipeline_IsTheOrdinarySerialisation(string cfg)
    {
        var options = new CoreMLWriterOptions { Mish = MishLowering.Stable };
        var writer = new PipelineWriter(options, new NmsOptions { IouThreshold = 0.5 });
        var (shaped, weighted) = DarknetReader.Read(TestFiles.Open(Fixtures.Shared(cfg)), TestFiles.Open(Fixtures.SeededWeightsFile(cfg)));
        var expected = writer.Build(weighted, shaped).Model.ToByteArray();

        using var file = DarknetWeightsFile.Open(shaped, TestFiles.Open(Fixtures.SeededWeightsFile(cfg)));
        using var stream = new MemoryStream();
        writer.Write(shaped, file, stream);

        Assert.True(expected.AsSpan().SequenceEqual(stream.ToArray()), $"{cfg}: the streamed pipeline differs from the message");
    }

    [Fact]
    public void Write_WeightWarnings_ComeOncePerLayerWhileStreaming()
    {
        // A NaN in the last chunk of yolov4's largest layer and a negative variance: the chunked checks locate
        // them as the whole-layer reader does.
        var shaped = Fixtures.Cfg("cfg/yolov4.cfg");
        var bytes = File.ReadAllBytes(Fixtures.SeededWeightsFile("cfg/yolov4.cfg"));
        var last = shaped.Network.Layers.OfType<Yolo4Convert.Graph.ConvolutionalLayer>().MaxBy(shaped.KernelCount)!;
        long offset = 20;
        foreach (var layer in shaped.Network.Layers.TakeWhile(l => l.Index < last.Index))
        {
            offset += 4 * shaped.WeightFloats(layer);
        }

        var nanAt = offset + (4 * shaped.WeightFloats(last)) - 8;
        BitConverter.TryWriteBytes(bytes.AsSpan((int)nanAt), float.NaN);
        BitConverter.TryWriteBytes(bytes.AsSpan((int)offset + (4 * 3 * last.Filters)), -1f);
        var whole = new WarningLog();
        DarknetWeightsReader.Read(shaped, new MemoryStream(bytes), "w.weights", whole);

        var streamed = new WarningLog();
        using (var file = DarknetWeightsFile.Open(shaped, new MemoryStream(bytes), "w.weights", streamed))
        {
            new CoreMLWriter().Write(shaped, file, Stream.Null);
            new CoreMLWriter().Write(shaped, file, Stream.Null);
        }

        Assert.Equal(2, whole.Items.Count);
        Assert.Contains($"at byte {nanAt:N0}", whole.Items[0].ToString(), StringComparison.Ordinal);
        Assert.Equal(whole.Items.Select(w => w.ToString()), streamed.Items.Select(w => w.ToString()));
    }

    [Fact]
    public void Write_StrictWarningWhileStreaming_FailsWithTheLocatedError()
    {
        var shaped = Fixtures.Cfg("cfg/yolov3-tiny.cfg");
        var bytes = File.ReadAllBytes(Fixtures.SeededWeightsFile("cfg/yolov3-tiny.cfg"));
        BitConverter.TryWriteBytes(bytes.AsSpan(bytes.Length - 4), float.PositiveInfinity);
        using var file = DarknetWeightsFile.Open(shaped, new MemoryStream(bytes), "w.weights", new WarningLog { Strict = true });

        var ex = Assert.Throws<DarknetFormatException>(() => new CoreMLWriter().Write(shaped, file, Stream.Null));

        Assert.Contains($"at byte {bytes.Length - 4:N0}", ex.Message, StringComparison.Ordinal);
    }

    private static (byte[] Expected, byte[] Streamed) Both(string cfg, CoreMLWriterOptions options)
    {
        var writer = new CoreMLWriter(options);
        var (shaped, weighted) = DarknetReader.Read(TestFiles.Open(Fixtures.Shared(cfg)), TestFiles.Open(Fixtures.SeededWeightsFile(cfg)));
        var expected = writer.Build(weighted, shaped).Model.ToByteArray();

        using var file = DarknetWeightsFile.Open(shaped, TestFiles.Open(Fixtures.SeededWeightsFile(cfg)));
        using var stream = new MemoryStream();
        writer.Write(shaped, file, stream);
        return (expected, stream.ToArray());
    }
}
