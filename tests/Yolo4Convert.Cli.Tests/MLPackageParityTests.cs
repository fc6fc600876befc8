using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>The real yolo-fastest written as an fp32 .mlmodel and an fp32 .mlpackage computes the same heads, and verify passes on the package.</summary>
public sealed class MLPackageParityTests
{
    [Fact]
    public void YoloFastest_Fp32PackageHeads_EqualTheMlmodelHeads_AndVerifyPasses()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Fixtures.Repo("tests/data/models/yolo-fastest-1.1.cfg");
        var weights = Fixtures.Repo("tests/data/models/yolo-fastest-1.1.weights");
        var mlmodel = Path.Combine(folder, "nn.mlmodel");
        var package = Path.Combine(folder, "program.mlpackage");
        foreach (var output in new[] { mlmodel, package })
        {
            var (exit, _, stderr) = CliRunner.Run(cfg, weights, output, "--precision", "fp32");
            Assert.True(exit == 0, stderr);
        }

        var nn = LoadedModel.Load(mlmodel);
        var program = LoadedModel.Load(package);
        Assert.Equal(nn.Info.Outputs.ToArray(), program.Info.Outputs.ToArray());
        var pixels = Fixtures.SyntheticImage(3, nn.Info.Height, nn.Info.Width);
        var expected = nn.Network!.Run(pixels);
        var actual = program.Network!.Run(pixels);
        foreach (var (name, _) in nn.Info.Outputs)
        {
            var scale = Math.Max(expected[name].MaxAbs(), 1e-6f);
            var worst = expected[name].Data.Zip(actual[name].Data, (e, a) => Math.Abs(e - a)).Max() / scale;
            Assert.True(worst <= 1e-5, $"{name}: worst difference {worst:E2} of the largest value");
        }

        var verify = CliRunner.Run("verify", cfg, weights, package, "--image", Fixtures.Shared(Fixtures.DogImage));
        Assert.True(verify.Exit == 0, verify.Out + verify.Err);
        Assert.Contains("ok", verify.Out);
    }

    [Theory]
    [InlineData("fp16", "0.9")]
    [InlineData("linear8", "0.8")]
    [InlineData("kmeans8", "0.8")]
    public void YoloFastest_Fp16AndQuantizedPackages_VerifyFindsEveryDetectionOfEveryPhoto(string format, string minIou)
    {
        var folder = Fixtures.TempFolder();
        var cfg = Fixtures.Repo("tests/data/models/yolo-fastest-1.1.cfg");
        var weights = Fixtures.Repo("tests/data/models/yolo-fastest-1.1.weights");
        var package = Path.Combine(folder, format + ".mlpackage");
        var (exit, _, stderr) = CliRunner.Run(cfg, weights, package, format == "fp16" ? "--precision" : "--quantize", format);
        Assert.True(exit == 0, stderr);
        Assert.Equal(format, LoadedModel.Load(package).StoredWeights.Name);

        foreach (var image in Directory.GetFiles(Fixtures.Repo("tests/data/images"), "*.jpg").Order(StringComparer.Ordinal))
        {
            var verify = CliRunner.Run("verify", cfg, weights, package, "--image", image);
            Assert.True(verify.Exit == 0, verify.Out + verify.Err);
            Assert.Matches($@"IoU >= {minIou}", verify.Out);
            Assert.Matches(@"model (\d+)/\1 found", verify.Out);
            Assert.EndsWith("ok", verify.Out.TrimEnd(), StringComparison.Ordinal);
        }
    }
}
