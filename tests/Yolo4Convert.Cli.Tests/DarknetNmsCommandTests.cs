using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>
/// The cfg's nms_kind in `detect`, `verify` and `--nms`: yolo-fastest-1.1 sets nms_kind=greedynms, so on dog.jpg
/// Darknet keeps a second car box nested in the first (IoU above 0.45, DIoU below) that IoU NMS drops.
/// </summary>
public sealed class DarknetNmsCommandTests
{
    private static string Convert(string folder, string name, string cfg, params string[] extra)
    {
        var model = Path.Combine(folder, name);
        var (exit, _, stderr) = CliRunner.Run([cfg, Fixtures.Shared(Fixtures.RealModelWeights), model, "--names", Fixtures.Shared("cfg/coco.names"), .. extra]);
        Assert.True(exit == 0, stderr);
        return model;
    }

    private static string[] Detect(string model, string image = Fixtures.DogImage)
    {
        var (exit, stdout, stderr) = CliRunner.Run("detect", model, Fixtures.Shared(image));
        Assert.True(exit == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    // A model as yolo4convert wrote it before the NMS kind was stored: the same model without the two keys.
    private static string WithoutNmsKeys(string model)
    {
        var parsed = Model.Parser.ParseFrom(File.ReadAllBytes(model));
        Assert.True(parsed.Description.Metadata.UserDefined.Remove(MetadataKeys.NmsKind));
        Assert.True(parsed.Description.Metadata.UserDefined.Remove(MetadataKeys.BetaNms));
        var old = Path.ChangeExtension(model, ".old.mlmodel");
        File.WriteAllBytes(old, parsed.ToByteArray());
        return old;
    }

    [Fact]
    public void Detect_GreedyNmsModel_KeepsTheNestedCarThatIouNmsDrops()
    {
        var folder = Fixtures.TempFolder();
        var model = Convert(folder, "yolo-fastest.mlmodel", Fixtures.Shared(Fixtures.RealModelCfg));

        var greedy = Detect(model);
        var old = Detect(WithoutNmsKeys(model));

        var extra = Assert.Single(greedy.Except(old));
        Assert.Matches(@"^car: \d\d%  left=4\d\d top=\d\d width=1\d\d height=\d\d$", extra);
        Assert.Equal(old, greedy.Where(l => l != extra));
    }

    [Fact]
    public void Detect_ModelWithoutTheKey_SuppressesByIouAsTheNmsPipelineDoes()
    {
        var folder = Fixtures.TempFolder();
        var old = WithoutNmsKeys(Convert(folder, "yolo-fastest.mlmodel", Fixtures.Shared(Fixtures.RealModelCfg)));
        var pipeline = Convert(folder, "yolo-fastest-nms.mlmodel", Fixtures.Shared(Fixtures.RealModelCfg), "--nms");

        // Core ML's NMS stage (run by the runtime's NmsRuntime) is plain IoU: a model without the key matches it line for line.
        Assert.Equal(Detect(pipeline), Detect(old));
    }

    [Fact]
    public void Convert_NmsOnAGreedyNmsCfg_PrintsOneWarningLineNamingBothRules()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");

        var (exit, _, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--nms",
            "--names", Fixtures.Shared("cfg/coco.names"));

        Assert.Equal(0, exit);
        var line = Assert.Single(stderr.Split('\n'), l => l.Contains("nms_kind", StringComparison.Ordinal));
        Assert.StartsWith($"{Fixtures.Shared(Fixtures.RealModelCfg)}:930:1: warning: --nms: the cfg's last [yolo] sets nms_kind=greedynms", line, StringComparison.Ordinal);
        Assert.Contains("IoU − (d²/c²)^0.6", line, StringComparison.Ordinal);
        Assert.Contains("Core ML's NMS stage compares plain IoU", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_NmsOnADefaultNmsCfg_OrWithoutNms_DoesNotWarn()
    {
        var folder = Fixtures.TempFolder();
        var iouCfg = Path.Combine(folder, "iou.cfg");
        File.WriteAllLines(iouCfg, File.ReadAllLines(Fixtures.Shared(Fixtures.RealModelCfg)).Where(l => !l.StartsWith("nms_kind", StringComparison.Ordinal)));

        var (exit1, _, stderr1) = CliRunner.Run(iouCfg, Fixtures.Shared(Fixtures.RealModelWeights), Path.Combine(folder, "a.mlmodel"), "--nms");
        var (exit2, _, stderr2) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), Path.Combine(folder, "b.mlmodel"));

        Assert.Equal((0, 0), (exit1, exit2));
        Assert.DoesNotContain("nms_kind", stderr1, StringComparison.Ordinal);
        Assert.DoesNotContain("nms_kind", stderr2, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_GreedyNmsModel_AgreesOnDarknetsDetectionsAndNamesTheRule()
    {
        var folder = Fixtures.TempFolder();
        var model = Convert(folder, "yolo-fastest.mlmodel", Fixtures.Shared(Fixtures.RealModelCfg));
        string Verify(string m)
        {
            var (exit, stdout, stderr) = CliRunner.Run("verify", Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), m,
                "--image", Fixtures.Shared(Fixtures.DogImage), "--threshold", "0.3");
            Assert.True(exit == 0, stderr + stdout);
            return stdout;
        }

        // The reference's detections are suppressed by the model's rule: the nested car counts with greedynms only.
        Assert.Contains("NMS greedynms 0.45): reference 7, model 7/7 found", Verify(model), StringComparison.Ordinal);
        Assert.Contains("NMS 0.45): reference 6, model 6/6 found", Verify(WithoutNmsKeys(model)), StringComparison.Ordinal);
    }
}
