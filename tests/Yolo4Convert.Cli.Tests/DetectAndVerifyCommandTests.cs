using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class DetectAndVerifyCommandTests
{
    private static string ConvertRealModel(string folder)
    {
        var model = Path.Combine(folder, "yolo-fastest.mlmodel");
        var (exit, _, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model,
            "--names", Fixtures.Shared("cfg/coco.names"));
        Assert.True(exit == 0, stderr);
        return model;
    }

    [Fact]
    public void Detect_RealModelOnDog_PrintsDogBicycleAndCarAndDrawsThem()
    {
        var folder = Fixtures.TempFolder();
        var model = ConvertRealModel(folder);
        var png = Path.Combine(folder, "boxes.png");

        var (exit, stdout, stderr) = CliRunner.Run("detect", model, Fixtures.Shared(Fixtures.DogImage), "--out", png, "--threshold", "0.5");

        Assert.True(exit == 0, stderr);
        var labels = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).ToList();
        Assert.Contains("dog", labels);
        Assert.Contains("bicycle", labels);
        Assert.Contains("car", labels);
        var car = stdout.Split('\n').First(l => l.StartsWith("car:", StringComparison.Ordinal));
        Assert.Matches(@"left=4\d\d top=\d\d width=2\d\d", car); // the truck at the top right of the 768x576 photo
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], File.ReadAllBytes(png)[..4]);
    }

    [Fact]
    public void Verify_ConvertedRealModel_PassesAndReportsTheWorstErrorLast()
    {
        var folder = Fixtures.TempFolder();
        var model = ConvertRealModel(folder);

        var (exit, stdout, stderr) = CliRunner.Run("verify", Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model,
            "--image", Fixtures.Shared(Fixtures.DogImage));

        Assert.True(exit == 0, stderr + stdout);
        Assert.Matches(@"worst relative error \d\.\d\dE-00[5-9] \(tolerance 1E-004\): ok\n$", stdout);
    }

    [Fact]
    public void Verify_ModelOfOtherWeights_ExitsSix()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Fixtures.Repo("samples/demo.cfg");
        var other = Path.Combine(folder, "other.weights");
        SeededWeights.Write(Yolo4Convert.Darknet.DarknetReader.ReadCfg(File.ReadAllText(cfg), cfg), other, seed: 9);
        var model = Path.Combine(folder, "other.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, other, model).Exit);

        var (exit, stdout, _) = CliRunner.Run("verify", cfg, Fixtures.Repo("samples/demo.weights"), model);

        Assert.Equal(6, exit);
        Assert.EndsWith(": FAIL\n", stdout);
    }
}
