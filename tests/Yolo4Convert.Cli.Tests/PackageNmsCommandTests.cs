using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>convert --nms to an ML Program package (the Vision-ready pipeline), then detect, verify and inspect on it.</summary>
public sealed class PackageNmsCommandTests
{
    private static string Convert(string folder, string name, params string[] extra)
    {
        var model = Path.Combine(folder, name);
        var (exit, _, stderr) = CliRunner.Run([Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--nms", .. extra]);
        Assert.True(exit == 0, stderr);
        return model;
    }

    private static Dictionary<string, string> Tree(string folder) => Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
        f => Path.GetRelativePath(folder, f).Replace('\\', '/'), f => System.Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    // "car: 88%  left=454 top=78 width=230 height=102" → (label, percent, [left, top, width, height]).
    private static List<(string Label, int Percent, int[] Box)> Detections(string stdout)
    {
        var result = new List<(string, int, int[])>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = Regex.Match(line, @"^(.+): (\d+)%\s+left=(-?\d+) top=(-?\d+) width=(\d+) height=(\d+)$");
            Assert.True(m.Success, $"not a detection line: {line}");
            var numbers = m.Groups.Values.Skip(2).Select(g => int.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            result.Add((m.Groups[1].Value, numbers[0], numbers[1..]));
        }

        return result;
    }

    [Fact]
    public void Convert_NmsPackage_WritesThePipelinePackageAndNamesIt()
    {
        var folder = Fixtures.TempFolder();
        var package = Path.Combine(folder, "m.mlpackage");

        var (exit, stdout, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), package, "--nms");

        Assert.Equal(0, exit);
        Assert.Equal(["Data/com.apple.CoreML/model.mlmodel", "Data/com.apple.CoreML/weights/0-weight.bin", "Manifest.json"], Tree(package).Keys.Order(StringComparer.Ordinal));
        Assert.Matches(
            @"^wrote .*m\.mlpackage: ML Program pipeline package, 131 Darknet layers -> \d+ MIL ops, spec 6 \(iOS15\+, opset CoreML5\), fp16, [0-9.]+ MB, outputs confidence\[<=1500x80\] coordinates\[<=1500x4\] after per-class NMS \(80 labels\), [0-9.]+ s\n$",
            stdout);
        Assert.Contains("warning: no --names given; the model's class labels are the class numbers 0..79.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_NmsPackageJson_DescribesTheSuppressionStage()
    {
        var folder = Fixtures.TempFolder();

        var (exit, stdout, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), Path.Combine(folder, "m.mlpackage"),
            "--nms", "--names", Fixtures.Shared("cfg/coco.names"), "--iou", "0.5", "--confidence", "0.3", "--json");

        Assert.True(exit == 0, stderr);
        // The one warning: yolo-fastest's nms_kind=greedynms, which Core ML's NMS stage cannot do.
        Assert.Contains("sets nms_kind=greedynms", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        var program = JsonDocument.Parse(stdout).RootElement.GetProperty("mlProgram");
        Assert.Equal(6, program.GetProperty("specificationVersion").GetInt32());
        var nms = program.GetProperty("nms");
        Assert.Equal((1500, 80, 0.5, 0.3), (nms.GetProperty("boxes").GetInt32(), nms.GetProperty("classes").GetInt32(),
            nms.GetProperty("iouThreshold").GetDouble(), nms.GetProperty("confidenceThreshold").GetDouble()));
        Assert.Equal("person", nms.GetProperty("labels")[0].GetString());
    }

    [Fact]
    public void Convert_NmsPackageTwice_GivesTheSameBytes()
    {
        var folder = Fixtures.TempFolder();

        var a = Convert(folder, "a.mlpackage", "--names", Fixtures.Shared("cfg/coco.names"));
        var b = Convert(folder, "b.mlpackage", "--names", Fixtures.Shared("cfg/coco.names"));

        Assert.Equal(Tree(a), Tree(b));
    }

    [Fact]
    public void Detect_Fp32NmsPackage_FindsTheBoxesOfTheMlmodelPipeline()
    {
        var folder = Fixtures.TempFolder();
        var mlmodel = Convert(folder, "m.mlmodel", "--names", Fixtures.Shared("cfg/coco.names"));
        var package = Convert(folder, "m.mlpackage", "--names", Fixtures.Shared("cfg/coco.names"), "--precision", "fp32");

        var (exitModel, expected, _) = CliRunner.Run("detect", mlmodel, Fixtures.Shared(Fixtures.DogImage));
        var (exit, actual, stderr) = CliRunner.Run("detect", package, Fixtures.Shared(Fixtures.DogImage));

        Assert.Equal((0, 0), (exitModel, exit));
        Assert.Contains("dog: ", expected, StringComparison.Ordinal);
        Assert.True(expected == actual, $"the package found\n{actual}\nthe .mlmodel found\n{expected}\n{stderr}");
    }

    [Fact]
    public void Detect_Fp16NmsPackage_FindsTheSameObjectsWithinAPixelOrTwo()
    {
        var folder = Fixtures.TempFolder();
        var mlmodel = Convert(folder, "m.mlmodel", "--names", Fixtures.Shared("cfg/coco.names"));
        var package = Convert(folder, "m.mlpackage", "--names", Fixtures.Shared("cfg/coco.names"));

        var expected = Detections(CliRunner.Run("detect", mlmodel, Fixtures.Shared(Fixtures.DogImage)).Out);
        var actual = Detections(CliRunner.Run("detect", package, Fixtures.Shared(Fixtures.DogImage)).Out);

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, actual.Count);
        Assert.All(expected, e => Assert.Contains(actual, a => a.Label == e.Label && Math.Abs(a.Percent - e.Percent) <= 1 && a.Box.Zip(e.Box).All(p => Math.Abs(p.First - p.Second) <= 2)));
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("fp16")]
    public void Verify_NmsPackage_PassesAgainstTheDarknetReference(string precision)
    {
        var folder = Fixtures.TempFolder();
        var package = Convert(folder, "m.mlpackage", "--precision", precision);

        var (exit, stdout, stderr) = CliRunner.Run("verify", Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), package, "--image", Fixtures.Shared(Fixtures.DogImage));

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("decoded 1500 boxes before NMS vs Darknet's decode of the reference heads", stdout, StringComparison.Ordinal);
        Assert.Matches(@"reference (\d+), model \1/\1 found", stdout);
        Assert.Contains(precision == "fp32" ? "(tolerance 1E-004): ok" : "(tolerance 2E-002): ok", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_NmsPackage_NamesThePipelineAndItsSuppression()
    {
        var folder = Fixtures.TempFolder();
        var package = Convert(folder, "m.mlpackage", "--names", Fixtures.Shared("cfg/coco.names"));

        var (exit, stdout, stderr) = CliRunner.Run("inspect", package);

        Assert.True(exit == 0, stderr);
        Assert.Contains("format: pipeline (ML Program + NMS) .mlpackage (opset CoreML5), spec 6 (needs iOS 15 / macOS 12 or later)", stdout, StringComparison.Ordinal);
        Assert.Contains("output: confidence  multiArray float32 [0..*, 80]", stdout, StringComparison.Ordinal);
        Assert.Contains("nms: iou threshold 0.45, confidence threshold 0.25, per class, from 1,500 candidate boxes, 80 labels", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("iOS14", 1, "error: --target 'iOS14' is not a target; expected iOS15, iOS16, iOS17 or iOS18 (or macOS12...macOS15). See 'yolo4convert --help'.")]
    [InlineData("macOS11", 1, "error: --target 'macOS11' is not a target; expected iOS15, iOS16, iOS17 or iOS18 (or macOS12...macOS15). See 'yolo4convert --help'.")]
    public void Convert_NmsPackageWithTooLowTarget_IsOneCleanErrorLineAndWritesNothing(string target, int code, string expected)
    {
        var folder = Fixtures.TempFolder();
        var package = Path.Combine(folder, "m.mlpackage");

        var line = CliAssert.OneErrorLine(CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), package, "--nms", "--target", target), code);

        Assert.Equal(expected, line);
        Assert.False(Directory.Exists(package));
    }

    [Fact]
    public void Convert_NmsPackageWithQuantize_IsAnIOS16PipelineThatKeepsEveryDetection()
    {
        var folder = Fixtures.TempFolder();
        var package = Path.Combine(folder, "m.mlpackage");
        var (cfg, weights) = (Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights));

        var (exit, stdout, stderr) = CliRunner.Run(cfg, weights, package, "--nms", "--quantize", "linear8");

        Assert.True(exit == 0, stderr);
        Assert.Contains("ML Program pipeline package", stdout, StringComparison.Ordinal);
        Assert.Contains("spec 7 (iOS16+, opset CoreML6), fp16, weights linear8", stdout, StringComparison.Ordinal);
        var verify = CliRunner.Run("verify", cfg, weights, package, "--image", Fixtures.Shared(Fixtures.DogImage));
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);
        Assert.Matches(@"(\d+)/\1 detections found: ok", verify.Out);
    }
}
