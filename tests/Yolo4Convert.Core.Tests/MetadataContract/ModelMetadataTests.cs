using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;
using Yolo4Convert.MetadataContract;

namespace Yolo4Convert.Tests.MetadataContract;

/// <summary>The metadata contract: what the writer stores is what the reader gives back, and damaged values are located errors.</summary>
public sealed class ModelMetadataTests
{
    private static (ModelMetadata Typed, IReadOnlyDictionary<string, string> Stored, List<(string Name, TensorShape Shape)> Outputs) Written(string cfg, IReadOnlyList<string>? names = null)
    {
        var model = TestModel.Create(cfg, 128, Fixtures.TempFolder(), new() { ClassNames = names });
        var stored = Model.Parser.ParseFrom(model.ModelBytes).Description.Metadata.UserDefined.ToDictionary();
        return (model.Result.Metadata!, stored, [.. model.Result.Heads.Select(h => (h.OutputName, h.Shape))]);
    }

    [Theory]
    [InlineData("cfg/yolov4-tiny.cfg")]
    [InlineData("cfg/yolov2-tiny.cfg")]
    [InlineData("cfg/yolov4.cfg")]
    public void Read_OfAWrittenModel_GivesTheSameHeads(string cfg)
    {
        var (typed, stored, outputs) = Written(cfg, [.. Enumerable.Range(0, 80).Select(i => $"class, {i}")]);

        var read = ModelMetadata.Read(stored, outputs);

        Assert.Equal((typed.InputWidth, typed.InputHeight, typed.Letterbox), (read.InputWidth, read.InputHeight, read.Letterbox));
        Assert.Equal(typed.ClassNames, read.ClassNames);
        Assert.Equal(typed.Heads.Length, read.Heads.Length);
        foreach (var (w, r) in typed.Heads.Zip(read.Heads))
        {
            Assert.Equal(w with { Anchors = [], Mask = [] }, r with { Anchors = [], Mask = [] });
            Assert.Equal(w.Anchors.ToArray(), r.Anchors.ToArray());
            Assert.Equal(w.Mask.ToArray(), r.Mask.ToArray());
        }

        var again = new Dictionary<string, string>();
        read.Write(again);
        Assert.Equal(again, stored.Where(kv => again.ContainsKey(kv.Key)).ToDictionary());
    }

    [Fact]
    public void Write_KeysInTheOrderEveryModelHasThem()
    {
        var (typed, _, _) = Written("cfg/yolov2-tiny.cfg");
        var u = new Dictionary<string, string>();

        typed.Write(u);

        Assert.Equal(
            ["converter", "input.width", "input.height", "input.resize", "input.scale", "heads",
             "head.head_s32.type", "head.head_s32.layer", "head.head_s32.classes", "head.head_s32.grid", "head.head_s32.stride",
             "head.head_s32.num", "head.head_s32.anchors", "head.head_s32.softmax", "darknet.nms_kind", "darknet.beta_nms"],
            u.Keys);
    }

    [Theory]
    [InlineData("heads", "", "heads=''; expected comma-separated names of the model's outputs.")]
    [InlineData("heads", "head_s32,", "heads='head_s32,'; expected comma-separated names of the model's outputs.")]
    [InlineData("head.head_s32.type", "ssd", "head.head_s32.type='ssd'; expected 'yolo', 'region' or 'gaussian_yolo'.")]
    [InlineData("head.head_s32.classes", "-3", "head.head_s32.classes='-3'; expected a class count from 1 to 100,000.")]
    [InlineData("head.head_s32.layer", "x22", "head.head_s32.layer='x22'; expected a Darknet layer index (0 or more).")]
    [InlineData("head.head_s32.layer", "99999999999", "head.head_s32.layer='99999999999'; expected a Darknet layer index (0 or more).")]
    [InlineData("head.head_s32.anchors", "1,nan", "head.head_s32.anchors='1,nan'; expected finite numbers.")]
    [InlineData("head.head_s32.grid", "4x", "head.head_s32.grid='4x'; expected WIDTHxHEIGHT in grid cells.")]
    [InlineData("head.head_s32.stride", "32px", "head.head_s32.stride='32px'; expected input pixels per grid cell.")]
    [InlineData("head.head_s32.num", "4", "head.head_s32.num='4'; expected the number of anchor pairs (5).")]
    [InlineData("head.head_s32.softmax", "yes", "head.head_s32.softmax='yes'; expected '0' or '1'.")]
    [InlineData("input.width", "wide", "input.width='wide'; expected a width in pixels.")]
    [InlineData("input.resize", "crop", "input.resize='crop'; expected 'letterbox' or 'stretch'.")]
    public void Read_DamagedValue_IsAModelFormatErrorNamingTheKey(string key, string value, string expected)
    {
        var (_, stored, outputs) = Written("cfg/yolov2-tiny.cfg");
        var damaged = new Dictionary<string, string>(stored) { [key] = value };

        var ex = Assert.Throws<ModelFormatException>(() => ModelMetadata.Read(damaged, outputs));

        Assert.StartsWith("error: the model's metadata has " + expected, ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.Hint);
    }

    [Theory]
    [InlineData("head.head_s16.mask", "3,-4", "head.head_s16.mask='3,-4'; expected comma-separated anchor indices.")]
    [InlineData("head.head_s16.new_coords", "2", "head.head_s16.new_coords='2'; expected '0' or '1'.")]
    [InlineData("head.head_s16.scale_x_y", "", "head.head_s16.scale_x_y=''; expected finite numbers.")]
    public void Read_DamagedYoloValue_IsAModelFormatErrorNamingTheKey(string key, string value, string expected)
    {
        var (_, stored, outputs) = Written("cfg/yolov4-tiny.cfg");
        var damaged = new Dictionary<string, string>(stored) { [key] = value };

        var ex = Assert.Throws<ModelFormatException>(() => ModelMetadata.Read(damaged, outputs));

        Assert.StartsWith("error: the model's metadata has " + expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("head.head_s16.new_coords")]
    [InlineData("heads")]
    public void Read_MissingRequiredKey_NamesIt(string key)
    {
        var (_, stored, outputs) = Written("cfg/yolov4-tiny.cfg");
        var damaged = new Dictionary<string, string>(stored);
        damaged.Remove(key);

        var ex = Assert.Throws<ModelFormatException>(() => ModelMetadata.Read(damaged, outputs));

        Assert.StartsWith($"error: the model's metadata has no '{key}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NmsRead_OfAWrittenPipeline_GivesTheThresholdsAndCounts_AndDamageNamesTheKey()
    {
        var written = new NmsMetadata(0.45, 0.25, 2535, 80);
        var u = new Dictionary<string, string>();
        written.Write(u);

        Assert.Equal(written, NmsMetadata.Read(u));
        Assert.Null(NmsMetadata.Read(new Dictionary<string, string>()));
        u["nms.boxes"] = "many";
        var ex = Assert.Throws<ModelFormatException>(() => NmsMetadata.Read(u));
        Assert.StartsWith("error: the model's metadata has nms.boxes='many'; expected a box count.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_OfAPipeline_IsComposedFromTheCounts()
    {
        var (typed, _, _) = Written("cfg/yolov4-tiny.cfg");

        Assert.Equal("Darknet YOLO detector (yolov4-tiny.cfg): 128x128 input, 80 classes, 2 raw heads.", typed.Description("/x/raw heads./yolov4-tiny.cfg", null));
        Assert.Equal(
            "Darknet YOLO detector (yolov4-tiny.cfg): 128x128 input, 80 classes, 2 heads decoded in the model (2535 candidate boxes) and suppressed per class (Vision object detector).",
            typed.Description("yolov4-tiny.cfg", new NmsMetadata(0.45, 0.25, 2535, 80)));
    }

    [Fact]
    public void Read_GaussianYoloModel_GivesItsHeadsAndChecksTheChannelLayout()
    {
        var (typed, stored, outputs) = Written("cfg/Gaussian_yolov3_BDD.cfg");

        var read = ModelMetadata.Read(stored, outputs);
        Assert.Equal(typed.Heads.Select(h => (h.OutputName, h.Layer, h.ScaleXY, string.Join(",", h.Anchors), string.Join(",", h.Mask))),
            read.Heads.Select(h => (h.OutputName, h.Layer, h.ScaleXY, string.Join(",", h.Anchors), string.Join(",", h.Mask))));
        Assert.All(read.Heads, h => Assert.Equal((HeadKind.GaussianYolo, "gaussian_yolo", 19), (h.Kind, h.KindName, h.Entries)));
        Assert.Equal("gaussian_yolo", stored["head.head_s8.type"]);
        Assert.Equal("x,sigma_x,y,sigma_y,w,sigma_w,h,sigma_h,objectness,classes", stored["head.head_s8.entries"]);
        Assert.False(stored.ContainsKey("head.head_s8.new_coords"));

        // A layout other than Darknet's is refused; so is a [yolo] reading of the 3 × (10 + 9) channels.
        var reordered = new Dictionary<string, string>(stored) { ["head.head_s8.entries"] = "x,y,w,h,sigma_x,sigma_y,sigma_w,sigma_h,objectness,classes" };
        var ex = Assert.Throws<ModelFormatException>(() => ModelMetadata.Read(reordered, outputs));
        Assert.StartsWith("error: the model's metadata has head.head_s8.entries='x,y,w,h,", ex.Message, StringComparison.Ordinal);

        var asYolo = new Dictionary<string, string>(stored) { ["head.head_s8.type"] = "yolo", ["head.head_s8.new_coords"] = "0" };
        var wrong = Assert.Throws<ModelFormatException>(() => ModelMetadata.Read(asYolo, outputs));
        Assert.Contains("output 'head_s8' has 57 channels, but its metadata describes 3 anchors × (classes=10 + 5).", wrong.Message, StringComparison.Ordinal);
    }
}
