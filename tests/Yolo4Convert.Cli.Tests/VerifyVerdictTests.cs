using System.Text.Json;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>verify's verdict per weight format on the real yolo-fastest model, class names in its messages, and a model of another cfg.</summary>
public sealed class VerifyVerdictTests
{
    private static readonly string Cfg = Fixtures.Shared(Fixtures.RealModelCfg);
    private static readonly string Weights = Fixtures.Shared(Fixtures.RealModelWeights);
    private static readonly string Names = Fixtures.Shared("cfg/coco.names");
    private static readonly string[] Photos = ["images/dog.jpg", "images/horses.jpg", "images/person.jpg"];

    private static string Convert(string folder, string format, params string[] extra)
    {
        var model = Path.Combine(folder, format + ".mlmodel");
        string[] option = format switch { "fp32" => [], "fp16" => ["--precision", "fp16"], _ => ["--quantize", format] };
        var (exit, _, stderr) = CliRunner.Run([Cfg, Weights, model, "--names", Names, .. option, .. extra]);
        Assert.True(exit == 0, stderr);
        return model;
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("fp16")]
    [InlineData("linear8")]
    [InlineData("kmeans8")]
    [InlineData("kmeans6")]
    [InlineData("kmeans4")]
    public void Verify_EachFormatOnEachPhoto_PassesExactlyWhenItShould(string format)
    {
        var model = Convert(Fixtures.TempFolder(), format);
        foreach (var photo in Photos)
        {
            var (exit, stdout, stderr) = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared(photo), "--json");

            var root = JsonDocument.Parse(stdout).RootElement;
            var detections = root.GetProperty("detections");
            Assert.Equal(format, root.GetProperty("format").GetString());
            Assert.True(detections.GetProperty("reference").GetInt32() > 0, photo);
            var allFound = detections.GetProperty("allFound").GetBoolean();
            var expectedOk = format is "fp32" or "fp16" or "linear8" or "kmeans8" || allFound;
            Assert.True((expectedOk ? 0 : 6) == exit, $"{format} {photo}: exit {exit}; {stdout} {stderr}");
            Assert.Equal(expectedOk, root.GetProperty("ok").GetBoolean());
            Assert.Equal(format is "fp32" or "fp16" ? "headErrorAndDetections" : "detections", root.GetProperty("verdictBasis").GetString());
        }
    }

    [Fact]
    public void Verify_Kmeans4PipelineWithEveryDetectionFound_PassesDespiteALargeHeadError()
    {
        var model = Convert(Fixtures.TempFolder(), "kmeans4", "--nms");

        var (exit, stdout, stderr) = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared("images/person.jpg"));

        Assert.True(exit == 0, stdout + stderr);
        Assert.Matches(@"worst relative error \d\.\d\dE\+000 \(informative for kmeans4 weights; the detections decide\), 3/3 detections found: ok\n$", stdout);
        Assert.Contains("stored weights kmeans4", stdout);
    }

    [Fact]
    public void Verify_Kmeans4WithExplicitTolerance_JudgesTheHeadErrorAgain()
    {
        var model = Convert(Fixtures.TempFolder(), "kmeans4", "--nms");

        var (exit, stdout, _) = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared("images/person.jpg"), "--tolerance", "0.5");

        Assert.Equal(6, exit);
        Assert.Matches(@"worst relative error \d\.\d\dE\+000 \(tolerance 5E-001\): FAIL\n$", stdout);
    }

    [Fact]
    public void Verify_MissingDetection_IsNamedByItsClassName()
    {
        var model = Convert(Fixtures.TempFolder(), "kmeans4");

        var (exit, stdout, _) = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared("images/dog.jpg"));
        var json = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared("images/dog.jpg"), "--json");

        Assert.Equal(6, exit);
        Assert.Contains("missing: cat 0.55 at (0.314,0.633)", stdout);
        Assert.DoesNotContain("class 15", stdout);
        var missing = JsonDocument.Parse(json.Out).RootElement.GetProperty("runs")[0].GetProperty("detections").GetProperty("missing")[0];
        Assert.Equal(("cat", 15), (missing.GetProperty("label").GetString(), missing.GetProperty("classId").GetInt32()));
    }

    [Fact]
    public void Verify_ModelWithoutNames_FallsBackToClassNumbersOrTakesNamesFromTheOption()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "k4.mlmodel");
        Assert.Equal(0, CliRunner.Run(Cfg, Weights, model, "--quantize", "kmeans4").Exit);

        var unnamed = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared("images/dog.jpg"));
        var named = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared("images/dog.jpg"), "--names", Names);

        Assert.Contains("missing: class 15 0.55", unnamed.Out);
        Assert.Contains("missing: cat 0.55", named.Out);
    }

    [Fact]
    public void Verify_QuantizedModelWithoutImage_FailsSayingNothingWasCompared()
    {
        var model = Convert(Fixtures.TempFolder(), "kmeans8");

        var (exit, stdout, stderr) = CliRunner.Run("verify", Cfg, Weights, model);

        Assert.Equal(6, exit);
        Assert.EndsWith("no reference detection to compare on the synthetic input: FAIL\n", stdout, StringComparison.Ordinal);
        Assert.Equal(
            "note: for kmeans8 weights the verdict rests on detections, and the Darknet reference found none on the synthetic input, so nothing was verified. "
            + "Hint: pass --image with a photo of objects the model detects, or --tolerance to judge the head error instead.",
            stderr.TrimEnd('\n'));
    }

    [Fact]
    public void Verify_Help_ListsEveryFormatOfTheTableAndNoOtherName()
    {
        var (exit, stdout, _) = CliRunner.Run("verify", "--help");

        Assert.Equal(0, exit);
        foreach (var row in VerifyFormat.Table)
        {
            Assert.Contains($"{VerifyFormat.Number(row.Tolerance)} for {row.Name}{(row.HeadErrorDecides ? string.Empty : " (informative)")}", stdout.Replace("\n", " ", StringComparison.Ordinal).Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        Assert.DoesNotMatch(@"(?i)\blut|lookup table", stdout);
    }

    [Theory]
    [InlineData("fp32", "fp32", "fp32")]
    [InlineData("fp32", "fp16", "fp16")]
    [InlineData("kmeans4", "fp32", "kmeans4")]
    [InlineData("kmeans7", "fp32", "kmeans6")]
    [InlineData("kmeans2", "fp32", "kmeans4")]
    [InlineData("linear4", "fp32", "kmeans4")]
    public void For_StoredWeights_PicksTheRowOfTheCoarserFormat(string stored, string compute, string expected) =>
        Assert.Equal(expected, VerifyFormat.For(global::Yolo4Convert.Weights.WeightFormat.Parse(stored), compute == "fp16" ? Runtime.ComputePrecision.Fp16 : Runtime.ComputePrecision.Fp32).Name);

    [Fact]
    public void Verify_ModelOfAnotherCfg_NamesTheMismatchAndExitsTwo()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);

        var line = CliAssert.OneErrorLine(CliRunner.Run("verify", Cfg, Weights, model), 2);

        Assert.Equal(
            $"{Cfg}: error: the model was not converted from this cfg: head 'head_s16' comes from layer 15 by the model's metadata, but layer 15 of yolo-fastest-1.1.cfg is [dropout] (line 142); "
            + "the cfg's heads are layers 121, 130. Hint: pass the cfg the model was converted from (the model says it was converted from 'demo.cfg').",
            line);
    }
}
