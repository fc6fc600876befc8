using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class InspectCommandHardeningTests
{
    [Fact]
    public void Inspect_SizeOfIntMax_IsOneLocatedErrorNotNegativeNumbers()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "big.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=416\nheight=416\nchannels=3\n[convolutional]\nfilters=16\nsize=2147483647\npad=1\n");

        var line = FailureAssert.Fails(2, folder, "inspect", cfg);

        Assert.Equal($"{cfg}:7:1: error: [convolutional] layer 0 has size=2147483647; expected a positive integer up to 4,096. Hint: a value this far out of range is a typo or a damaged file.", line);
    }

    [Fact]
    public void Inspect_LargestAllowedValues_PrintsOnlyNonNegativeNumbers()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "big.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=16384\nheight=16384\nchannels=3\n[convolutional]\nfilters=8\nsize=4096\npad=1\nstride=4096\n[convolutional]\nfilters=65536\nsize=1\n");

        var (exit, stdout, stderr) = CliRunner.Run("inspect", cfg);

        Assert.True(exit == 0, stderr);
        Assert.DoesNotMatch(@"(^|[\s(])-\d", stdout);
        Assert.Contains("weights file: 1,612,972,084 bytes", stdout); // (8 + 8·3·4096² + 65536 + 65536·8) floats + 20 bytes
    }

    [Fact]
    public void Inspect_WeightsGivenAsCfg_AsksAboutSwappedArguments()
    {
        var folder = Fixtures.TempFolder();
        var weights = Path.Combine(folder, "demo.weights");
        File.Copy(Fixtures.Repo("samples/demo.weights"), weights);

        var line = FailureAssert.Fails(2, folder, "inspect", weights);

        Assert.Equal($"{weights}@0: error: this looks like a binary file (a .weights?) of 323,988 bytes; expected a Darknet .cfg text. Hint: did you swap CFG and WEIGHTS? The cfg comes first: yolo4convert CFG WEIGHTS OUTPUT.", line);
    }

    [Fact]
    public void Inspect_WeightsGivenAsCfg_NamesTheFileAsTheUserGaveIt()
    {
        var folder = Fixtures.TempFolder();
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.Copy(Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, "demo.weights"));
        var given = Path.Combine(folder, "sub", "..", "demo.weights");

        var line = FailureAssert.Fails(2, folder, "inspect", given);

        Assert.StartsWith($"{given}@0: error: this looks like a binary file", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_SwappedCfgAndWeights_ExitsTwoWithoutOutput()
    {
        var folder = Fixtures.TempFolder();
        var weights = Path.Combine(folder, "demo.weights");
        var cfg = Path.Combine(folder, "demo.cfg");
        File.Copy(Fixtures.Repo("samples/demo.weights"), weights);
        File.Copy(Fixtures.Repo("samples/demo.cfg"), cfg);

        var line = FailureAssert.Fails(2, folder, weights, cfg, Path.Combine(folder, "demo.mlmodel"));

        Assert.Contains("Did you swap CFG and WEIGHTS?", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Inspect_MegabyteValueWithControlBytes_EchoesItCutAndEscaped()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "long.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nactivation=\u001b[31m" + new string('m', 1_000_000) + "\n");

        var line = FailureAssert.Fails(2, folder, "inspect", cfg);

        Assert.Equal($"{cfg}:6:1: error: [convolutional] has unknown activation '\\x1B[31m{new string('m', 55)}…'. Hint: Darknet would silently use relu here; fix the name (leaky, mish, swish, logistic, linear, relu, ...).", line);
    }

    [Fact]
    public void Convert_ModelGivenAsCfg_PointsToInspectNotToSwappedArguments()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);

        var line = FailureAssert.Fails(2, folder, model, Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, "out.mlmodel"));

        Assert.Equal($"{model}@0: error: this is a model file ({new FileInfo(model).Length:N0} bytes), not a Darknet .cfg text. Hint: a model is what yolo4convert writes; to see what it holds: yolo4convert inspect MODEL.", line);
    }
}
