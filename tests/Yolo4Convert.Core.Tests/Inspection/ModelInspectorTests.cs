using Yolo4Convert.Diagnostics;
using Yolo4Convert.Inspection;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Inspection;

public sealed class ModelInspectorTests
{
    [Fact]
    public void Inspect_ModelHandedOverAsAStream_ReadsItUnderTheGivenName()
    {
        var model = TestModel.Create("cfg/yolov2-tiny.cfg", 64, Fixtures.TempFolder());
        var file = new InputFile("given/name.mlmodel", () => new MemoryStream(model.ModelBytes));

        var inspection = ModelInspector.Inspect(file);

        Assert.Equal("given/name.mlmodel", inspection.File);
        Assert.Equal(model.ModelBytes.Length, inspection.FileBytes);
        Assert.Equal(ModelFileKind.CoreMLModel, ModelFileSniffer.Of(file));
    }

    [Fact]
    public void Inspect_NeitherCfgNorModel_NamesTheFileAsGivenWithItsSize()
    {
        var file = new InputFile("some/thing.bin", () => new MemoryStream([0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0, 0, 0]));

        var ex = Assert.ThrowsAny<Yolo4ConvertException>(() => ModelInspector.Inspect(file));

        Assert.Equal("some/thing.bin", ex.Location?.File);
        Assert.Contains("10 bytes (starting DEADBEEF)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadedModelLoad_ModelHandedOverAsAStream_RunsUnderTheGivenName()
    {
        var model = TestModel.Create("cfg/yolov2-tiny.cfg", 64, Fixtures.TempFolder());

        var loaded = LoadedModel.Load(new InputFile("in-memory.mlmodel", () => new MemoryStream(model.ModelBytes)));

        Assert.NotNull(loaded.Network);
        Assert.Equal(64, loaded.Info.Width);
    }
}
