using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.MetadataContract;

namespace Yolo4Convert.Tests.MetadataContract;

/// <summary>Darknet's NMS kind in the metadata: written from the cfg, read back, and plain IoU for models without it.</summary>
public sealed class ModelMetadataNmsTests
{
    private static (ModelMetadata Typed, Dictionary<string, string> Stored, List<(string Name, TensorShape Shape)> Outputs) Written(string cfg)
    {
        var model = TestModel.Create(cfg, 128, Fixtures.TempFolder(), new());
        var stored = Model.Parser.ParseFrom(model.ModelBytes).Description.Metadata.UserDefined.ToDictionary();
        return (model.Result.Metadata!, stored, [.. model.Result.Heads.Select(h => (h.OutputName, h.Shape))]);
    }

    [Theory]
    [InlineData("cfg/yolov4-tiny.cfg", "greedynms")]
    [InlineData("cfg/yolov3-tiny.cfg", "default")]
    [InlineData("cfg/yolov2-tiny.cfg", "default")]
    public void Write_TheCfgsNmsKind_IsStoredAndReadBack(string cfg, string kind)
    {
        var (typed, stored, outputs) = Written(cfg);

        Assert.Equal(kind, stored[MetadataKeys.NmsKind]);
        Assert.Equal("0.6", stored[MetadataKeys.BetaNms]);
        Assert.Equal(typed.Nms, ModelMetadata.Read(stored, outputs).Nms);
        Assert.Equal(kind, ModelMetadata.Read(stored, outputs).Nms.Name);
    }

    [Fact]
    public void Read_DiounmsWithItsBeta_RoundTrips()
    {
        var (typed, _, outputs) = Written("cfg/yolov4-tiny.cfg");
        var stored = new Dictionary<string, string>();
        (typed with { Nms = new DarknetNms(DarknetNmsKind.Diou, 0.85f) }).Write(stored);

        Assert.Equal(new DarknetNms(DarknetNmsKind.Diou, 0.85f), ModelMetadata.Read(stored, outputs).Nms);
    }

    [Fact]
    public void Read_AModelWithoutTheKeys_KeepsPlainIouNms()
    {
        var (_, stored, outputs) = Written("cfg/yolov4-tiny.cfg");
        stored.Remove(MetadataKeys.NmsKind);
        stored.Remove(MetadataKeys.BetaNms);

        Assert.Equal(DarknetNms.Default, ModelMetadata.Read(stored, outputs).Nms);
    }

    [Theory]
    [InlineData("darknet.nms_kind", "diou", "darknet.nms_kind='diou'; expected 'default', 'greedynms', 'diounms' or 'cornersnms'.")]
    [InlineData("darknet.beta_nms", "NaN", "darknet.beta_nms='NaN'; expected finite numbers.")]
    public void Read_DamagedNmsKeys_AreErrorsNamingTheKey(string key, string value, string message)
    {
        var (_, stored, outputs) = Written("cfg/yolov4-tiny.cfg");
        stored[key] = value;

        var ex = Assert.Throws<ModelFormatException>(() => ModelMetadata.Read(stored, outputs));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
