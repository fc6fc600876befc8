using System.Text.Json;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>convert --nms, and detect / verify on the written detector pipeline.</summary>
public sealed class NmsCommandTests
{
    private static string Convert(string folder, string name, params string[] extra)
    {
        var model = Path.Combine(folder, name);
        var (exit, _, stderr) = CliRunner.Run([Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--nms", .. extra]);
        Assert.True(exit == 0, stderr);
        return model;
    }

    private static string[] Labels(string stdout) => [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0])];

    [Fact]
    public void Convert_Nms_PrintsThePipelineAndWarnsWithoutNames()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--nms");

        Assert.Equal(0, exit);
        Assert.Matches(@"spec 3 \(iOS 12\+\), .*outputs confidence\[<=1500x80\] coordinates\[<=1500x4\] after per-class NMS \(80 labels\)", stdout);
        Assert.Contains("warning: no --names given; the model's class labels are the class numbers 0..79.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_NmsJson_DescribesTheSuppressionStage()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model,
            "--nms", "--names", Fixtures.Shared("cfg/coco.names"), "--iou", "0.5", "--confidence", "0.3", "--json");

        Assert.True(exit == 0, stderr);
        // The one warning: yolo-fastest's nms_kind=greedynms, which Core ML's NMS stage cannot do.
        Assert.Contains("sets nms_kind=greedynms", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        var coreML = JsonDocument.Parse(stdout).RootElement.GetProperty("coreML");
        Assert.Equal(3, coreML.GetProperty("specificationVersion").GetInt32());
        var nms = coreML.GetProperty("nms");
        Assert.Equal((1500, 80, 0.5, 0.3), (nms.GetProperty("boxes").GetInt32(), nms.GetProperty("classes").GetInt32(),
            nms.GetProperty("iouThreshold").GetDouble(), nms.GetProperty("confidenceThreshold").GetDouble()));
        Assert.Equal("person", nms.GetProperty("labels")[0].GetString());
    }

    [Theory]
    [InlineData("--iou", "0.5")]
    [InlineData("--confidence", "0.5")]
    public void Convert_ThresholdWithoutNms_IsAUsageError(string option, string value)
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");

        var (exit, _, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, option, value);

        Assert.Equal(1, exit);
        Assert.Contains("--iou and --confidence need --nms", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void Convert_NmsIouOutOfRange_IsAUsageError()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");

        var (exit, _, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--nms", "--iou", "1.5");

        Assert.Equal(1, exit);
        Assert.Contains("--iou '1.5' is not a number from 0 to 1", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void Detect_NmsModel_PrintsWhatTheModelKeepsLikeTheRawModel()
    {
        var folder = Fixtures.TempFolder();
        var names = Fixtures.Shared("cfg/coco.names");
        var nms = Convert(folder, "nms.mlmodel", "--names", names);
        var raw = Path.Combine(folder, "raw.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), raw, "--names", names).Exit);
        var png = Path.Combine(folder, "boxes.png");

        var (exit, stdout, stderr) = CliRunner.Run("detect", nms, Fixtures.Shared(Fixtures.DogImage), "--out", png);
        var (_, rawStdout, _) = CliRunner.Run("detect", raw, Fixtures.Shared(Fixtures.DogImage));

        Assert.True(exit == 0, stderr);
        Assert.Equal(["car", "dog", "cat", "bicycle", "car", "person", "bicycle"], Labels(stdout));
        // On the dog photo no box has a second class above 0.25. The raw model suppresses as Darknet does (the cfg's
        // greedynms) and keeps one car box nested in another that the pipeline's IoU NMS drops; the rest is the same.
        var rawLines = rawStdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var nested = Assert.Single(rawLines.Except(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.StartsWith("car: ", nested, StringComparison.Ordinal);
        Assert.Equal(string.Join('\n', rawLines.Where(l => l != nested)) + "\n", stdout);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], File.ReadAllBytes(png)[..4]);
    }

    [Fact]
    public void Detect_NmsModelJson_ListsLabelledBoxes()
    {
        var folder = Fixtures.TempFolder();
        var nms = Convert(folder, "nms.mlmodel", "--names", Fixtures.Shared("cfg/coco.names"));

        var (exit, stdout, stderr) = CliRunner.Run("detect", nms, Fixtures.Shared(Fixtures.DogImage), "--json");

        Assert.True(exit == 0, stderr);
        var boxes = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(7, boxes.Count);
        Assert.Equal("car", boxes[0].GetProperty("label").GetString());
        Assert.InRange(boxes[0].GetProperty("left").GetDouble(), 440, 470);
    }

    [Fact]
    public void Thresholds_ConvertAndDetectOptions_ChangeWhatTheModelKeeps()
    {
        var folder = Fixtures.TempFolder();
        var names = Fixtures.Shared("cfg/coco.names");
        var image = Fixtures.Shared(Fixtures.DogImage);
        var strict = Convert(folder, "strict.mlmodel", "--names", names, "--confidence", "0.5");
        var loose = Convert(folder, "loose.mlmodel", "--names", names, "--confidence", "0.05", "--iou", "0.9");
        var normal = Convert(folder, "normal.mlmodel", "--names", names);

        var strictLabels = Labels(CliRunner.Run("detect", strict, image).Out);
        var looseLabels = Labels(CliRunner.Run("detect", loose, image).Out);
        var overridden = Labels(CliRunner.Run("detect", normal, image, "--threshold", "0.5").Out);
        var lowerIou = Labels(CliRunner.Run("detect", normal, image, "--iou", "0.1").Out);

        // The stored thresholds: 0.5 keeps car, dog, cat, bicycle (the model's four boxes above 0.5); 0.05 and IoU 0.9 keep many more.
        Assert.Equal(["car", "dog", "cat", "bicycle"], strictLabels);
        Assert.True(looseLabels.Length > 20, $"{looseLabels.Length} boxes at confidence 0.05 and IoU 0.9");
        // The optional threshold inputs, fed by detect's --threshold / --iou, override the stored ones.
        Assert.Equal(strictLabels, overridden);
        Assert.True(lowerIou.Length < 7, $"IoU 0.1 still kept {lowerIou.Length} boxes");
    }

    [Fact]
    public void Verify_NmsModel_ChecksHeadsAndDecodedRows()
    {
        var folder = Fixtures.TempFolder();
        var nms = Convert(folder, "nms.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run("verify", Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), nms,
            "--image", Fixtures.Shared(Fixtures.DogImage), "--json");

        Assert.True(exit == 0, stderr + stdout);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(2, root.GetProperty("heads").GetArrayLength());
        var decoded = root.GetProperty("decoded");
        Assert.Equal(1500, decoded.GetProperty("boxes").GetInt32());
        Assert.InRange(decoded.GetProperty("maxConfidenceError").GetDouble(), 0, 1e-4);
        Assert.InRange(decoded.GetProperty("maxSizeRelativeError").GetDouble(), 0, 1e-4);
        Assert.True(root.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void Verify_NmsModelOfOtherWeights_ExitsSix()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Fixtures.Repo("samples/demo.cfg");
        var other = Path.Combine(folder, "other.weights");
        SeededWeights.Write(Yolo4Convert.Darknet.DarknetReader.ReadCfg(File.ReadAllText(cfg), cfg), other, seed: 9);
        var model = Path.Combine(folder, "other.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, other, model, "--nms").Exit);

        var (exit, stdout, _) = CliRunner.Run("verify", cfg, Fixtures.Repo("samples/demo.weights"), model);

        Assert.Equal(6, exit);
        Assert.Contains("decoded 1", stdout, StringComparison.Ordinal);
        Assert.EndsWith(": FAIL\n", stdout);
    }
}
