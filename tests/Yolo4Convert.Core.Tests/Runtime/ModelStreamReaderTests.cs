using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

public sealed class ModelStreamReaderTests
{
    [Fact]
    public void Read_ConvertedZooModel_GivesTheMessageTheGeneratedParserGives()
    {
        var model = TestModel.Create("cfg/yolov4-tiny.cfg", 128, Fixtures.TempFolder());
        var layers = new List<string>();

        var streamed = ModelStreamReader.Read(new MemoryStream(model.ModelBytes), "m.mlmodel", l => layers.Add(l.Name));

        var parsed = Model.Parser.ParseFrom(model.ModelBytes);
        Assert.Equal(parsed, streamed);
        Assert.Equal(parsed.NeuralNetwork.Layers.Select(l => l.Name), layers);
        Assert.Equal(model.ModelBytes, streamed.ToByteArray());
    }

    [Fact]
    public void Read_TruncatedModel_IsAFormatErrorNamingTheByte()
    {
        var bytes = TestModel.Create("cfg/yolov4-tiny.cfg", 128, Fixtures.TempFolder()).ModelBytes;

        var ex = Assert.Throws<ModelFormatException>(() => ModelStreamReader.Read(new MemoryStream(bytes[..(bytes.Length / 2)]), "half.mlmodel", _ => { }));

        Assert.StartsWith("half.mlmodel: error: the file is not a valid .mlmodel (", ex.Message);
        Assert.Contains(" at byte ", ex.Message);
    }

    [Fact]
    public void Load_ConvertedZooModel_DropsTheMessagesCopyOfTheWeights()
    {
        // The runtime keeps the packed copy only; a layer's weights are gone from the message once read.
        var model = TestModel.Create("cfg/yolov4-tiny.cfg", 128, Fixtures.TempFolder());
        var seen = new List<NeuralNetworkLayer>();
        var extractor = new KernelExtractor();

        ModelStreamReader.Read(new MemoryStream(model.ModelBytes), "m.mlmodel", l =>
        {
            extractor.Take(l);
            seen.Add(l);
        });

        var convolutions = seen.Where(l => l.LayerCase == NeuralNetworkLayer.LayerOneofCase.Convolution).ToList();
        Assert.NotEmpty(convolutions);
        Assert.All(convolutions, l => Assert.Empty(l.Convolution.Weights.FloatValue));
        Assert.All(convolutions, l => Assert.NotNull(extractor.KernelOf(l)));
    }
}
