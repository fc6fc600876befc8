using System.Text.Json;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>convert --precision/--quantize and verify --precision on the real yolo-fastest model.</summary>
public sealed class PrecisionCommandTests
{
    private static readonly string Cfg = Fixtures.Shared(Fixtures.RealModelCfg);
    private static readonly string Weights = Fixtures.Shared(Fixtures.RealModelWeights);

    [Fact]
    public void Convert_Fp16_DeclaresSpec2AndIsAboutHalfTheSize()
    {
        var folder = Fixtures.TempFolder();
        var fp32 = Path.Combine(folder, "fp32.mlmodel");
        var fp16 = Path.Combine(folder, "fp16.mlmodel");
        Assert.Equal(0, CliRunner.Run(Cfg, Weights, fp32, "--mish", "native").Exit);

        var (exit, stdout, stderr) = CliRunner.Run(Cfg, Weights, fp16, "--mish", "native", "--precision", "fp16");

        Assert.True(exit == 0, stderr);
        Assert.Matches(@"spec 2 \(iOS 11\.2\+\), 0\.7 MB, weights fp16, outputs ", stdout);
        var ratio = (double)new FileInfo(fp16).Length / new FileInfo(fp32).Length;
        Assert.InRange(ratio, 0.49, 0.51);
    }

    [Fact]
    public void Convert_Kmeans4Verbose_ListsTheConvsKeptInFloatAndDeclaresSpec3()
    {
        var model = Path.Combine(Fixtures.TempFolder(), "k4.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run(Cfg, Weights, model, "--quantize", "kmeans4", "--verbose");

        Assert.True(exit == 0, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Matches(@"spec 3 \(iOS 12\+\), .* weights kmeans4 \(66 small convs in fp32, --verbose lists them\)", lines[0]);
        Assert.Equal(66, lines.Count(l => l.StartsWith("kept in fp32: ", StringComparison.Ordinal)));
        Assert.Contains("kept in fp32: 000_conv (216 weights < 4096)", lines);
    }

    [Fact]
    public void Convert_UnknownQuantization_IsAUsageError()
    {
        var (exit, _, stderr) = CliRunner.Run(Cfg, Weights, Path.Combine(Fixtures.TempFolder(), "x.mlmodel"), "--quantize", "kmeans3");

        Assert.Equal(1, exit);
        Assert.Contains("kmeans3", stderr);
    }

    [Fact]
    public void Convert_QuantizeWithKerasOutputOnly_IsAUsageError()
    {
        var (exit, _, stderr) = CliRunner.Run(Cfg, Weights, Path.Combine(Fixtures.TempFolder(), "x.h5"), "--quantize", "linear8");

        Assert.Equal(1, exit);
        Assert.Contains("--precision and --quantize shape the .mlmodel's weights", stderr);
    }

    [Fact]
    public void Verify_Fp16PrecisionJson_ReportsBothRunsAndDetectionAgreement()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "fp16.mlmodel");
        Assert.Equal(0, CliRunner.Run(Cfg, Weights, model, "--precision", "fp16").Exit);

        var (exit, stdout, stderr) = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared(Fixtures.DogImage), "--precision", "fp16", "--json");

        Assert.True(exit == 0, stderr + stdout);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("fp16", root.GetProperty("precision").GetString());
        Assert.Equal("fp16", root.GetProperty("storedWeights").GetString());
        Assert.Equal(0.02, root.GetProperty("tolerance").GetDouble());
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["fp32", "fp16"], runs.Select(r => r.GetProperty("precision").GetString()));
        var fp32Error = runs[0].GetProperty("worstRelativeError").GetDouble();
        var fp16Error = runs[1].GetProperty("worstRelativeError").GetDouble();
        Assert.InRange(fp32Error, 1e-4, 1e-2); // the stored half weights alone
        Assert.InRange(fp16Error, fp32Error, 2e-2); // plus half-precision activations
        Assert.Equal(fp16Error, root.GetProperty("worstRelativeError").GetDouble());
        Assert.Equal(4, root.GetProperty("detections").GetProperty("reference").GetInt32()); // dog, bicycle, truck and a second animal class at 0.5
        Assert.All(runs, r => Assert.Equal(4, r.GetProperty("detections").GetProperty("found").GetInt32()));
    }

    [Fact]
    public void Verify_Kmeans4ModelWithFp32Tolerance_ExitsSixAndSaysWhy()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "k4.mlmodel");
        Assert.Equal(0, CliRunner.Run(Cfg, Weights, model, "--quantize", "kmeans4").Exit);

        var (exit, stdout, _) = CliRunner.Run("verify", Cfg, Weights, model, "--image", Fixtures.Shared(Fixtures.DogImage), "--tolerance", "1e-4");

        Assert.Equal(6, exit);
        Assert.Contains("stored weights kmeans4", stdout);
        Assert.Matches(@"worst relative error \d\.\d\dE-00[12] \(tolerance 1E-004\)(, detections missing)?: FAIL\n$", stdout);
    }
}
