using CoreML.Specification;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class ConvertCommandTests
{
    private static string Sample(string name) => Fixtures.Repo(Path.Combine("samples", name));

    [Fact]
    public void Convert_DemoSample_WritesModelAndPrintsOneLineSummary()
    {
        var output = Path.Combine(Fixtures.TempFolder(), "demo.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), output, "--names", Sample("demo.names"));

        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, stderr);
        var line = Assert.Single(stdout.TrimEnd().Split('\n'));
        Assert.Matches(@"^wrote .*demo\.mlmodel: 23 Darknet layers -> 27 Core ML layers, mish: custom \(4 'Mish' custom layers the app must register\), spec 2 \(iOS 11\.2\+\), 0\.3 MB, outputs head_s16\[24x10x10\] head_s8\[24x20x20\], \d+\.\d\d s$", line);
        var model = Model.Parser.ParseFrom(File.ReadAllBytes(output));
        Assert.Equal("[\"circle\",\"square\",\"triangle\"]", model.Description.Metadata.UserDefined["classes"]);
        Assert.Equal("demo.cfg", model.Description.Metadata.UserDefined["source.cfg"]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
    }

    public static TheoryData<string> ZooCfgs() => [.. Fixtures.KnownWeightSizes.Keys.Where(k => k.StartsWith("cfg/", StringComparison.Ordinal))];

    [Theory]
    [MemberData(nameof(ZooCfgs))]
    public void Convert_ZooCfgWithSeededWeightsOfTheInspectedSize_Succeeds(string cfg)
    {
        var folder = Fixtures.TempFolder();
        try
        {
            var cfgPath = Fixtures.Shared(cfg);
            var inspect = CliRunner.Run("inspect", cfgPath);
            Assert.Equal(0, inspect.Exit);
            Assert.Contains($"weights file: {Fixtures.KnownWeightSizes[cfg]:N0} bytes", inspect.Out);

            var weights = Path.Combine(folder, "seeded.weights");
            SeededWeights.Write(Fixtures.Cfg(cfg), weights);
            Assert.Equal(Fixtures.KnownWeightSizes[cfg], new FileInfo(weights).Length);
            var output = Path.Combine(folder, "model.mlmodel");

            var (exit, stdout, stderr) = CliRunner.Run(cfgPath, weights, output, "--json");

            Assert.True(exit == 0, stderr);
            Assert.Contains("\"specificationVersion\"", stdout);
            var model = Model.Parser.ParseFrom(File.ReadAllBytes(output));
            Assert.Equal(Fixtures.Cfg(cfg).Network.Heads.Count(), model.Description.Output.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Convert_MismatchedWeights_ExitsTwoWithOneLineAndKeepsTheExistingOutput()
    {
        var folder = Fixtures.TempFolder();
        var output = Path.Combine(folder, "model.mlmodel");
        File.WriteAllText(output, "previous model");

        var (exit, stdout, stderr) = CliRunner.Run(Fixtures.Shared("cfg/yolov4-tiny.cfg"), Sample("demo.weights"), output);

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, stdout);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("demo.weights@323988: error: the file ends at byte 323,988, inside layer 10 [convolutional] (line 97)", line);
        Assert.Contains("expected 24,251,276 bytes", line);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal("previous model", File.ReadAllText(output));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void Convert_Verbose_AddsTheStackTrace()
    {
        var output = Path.Combine(Fixtures.TempFolder(), "m.mlmodel");

        var (exit, _, stderr) = CliRunner.Run(Fixtures.Shared("cfg/yolov4-tiny.cfg"), Sample("demo.weights"), output, "--verbose");

        Assert.Equal(2, exit);
        Assert.Contains("   at Yolo4Convert.", stderr);
    }

    [Fact]
    public void Convert_MissingWeightsFile_ExitsFourWithThePath()
    {
        var (exit, _, stderr) = CliRunner.Run(Sample("demo.cfg"), "/nonexistent/demo.weights", Path.Combine(Fixtures.TempFolder(), "m.mlmodel"));

        Assert.Equal(4, exit);
        Assert.Equal("error: WEIGHTS '/nonexistent/demo.weights' does not exist. Hint: check the path.", stderr.TrimEnd());
    }

    [Fact]
    public void Convert_UnsupportedSection_ExitsThreeWithCfgLine()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "lstm.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n\n[lstm]\noutput=4\n");

        var (exit, _, stderr) = CliRunner.Run(cfg, Sample("demo.weights"), Path.Combine(folder, "m.mlmodel"));

        Assert.Equal(3, exit);
        Assert.StartsWith($"{cfg}:6:1: error: layer 0 is a [lstm] section, which yolo4convert does not support yet.", stderr);
    }

    [Theory]
    [InlineData]
    [InlineData("only.cfg")]
    [InlineData("a.cfg", "b.weights", "c.mlmodel", "--mish", "fast")]
    public void Convert_BadCommandLine_ExitsOne(params string[] args) => Assert.Equal(1, CliRunner.Run(args).Exit);

    [Fact]
    public void Run_WithoutArguments_PrintsOneUsageLine()
    {
        var (exit, stdout, stderr) = CliRunner.Run();

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("yolo4convert CFG WEIGHTS OUTPUT", stderr);
    }

    [Fact]
    public void Convert_OutputWithoutMlmodelExtension_ExitsOneWithAHint()
    {
        var (exit, _, stderr) = CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), "model.h6");

        Assert.Equal(1, exit);
        Assert.Contains("should end in .mlmodel", stderr);
    }

    [Fact]
    public void Help_ShowsExamplesAndExitCodes()
    {
        var (exit, stdout, _) = CliRunner.Run("--help");

        Assert.Equal(0, exit);
        Assert.Contains("yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel", stdout);
        Assert.Contains("--mish", stdout);
        Assert.Contains("Exit codes: 0 ok, 1 usage", stdout);
    }

    [Fact]
    public void Help_OfASubcommand_ShowsOnlyItsOwnArguments()
    {
        var (exit, stdout, _) = CliRunner.Run("detect", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("  yolo4convert detect <MODEL> <IMAGE> [options]", stdout);
        Assert.DoesNotContain("<OUTPUT>", stdout);
        Assert.Contains("--threshold <threshold>  Minimum class probability (objectness × class score). [default: 0.25]", stdout);
    }

    [Fact]
    public void Version_AsARealProcess_PrintsTheToolVersion()
    {
        // --version reports the entry assembly, so this one runs the built tool in its own process.
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "yolo4convert.dll"));
        info.ArgumentList.Add("--version");
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        // A local build is 0.1.0-dev.<commits>+<short commit> (plain 0.1.0-dev outside a git clone).
        var height = Git("rev-list", "--count", "HEAD");
        Assert.Equal("0.1.0-dev" + (height is null ? string.Empty : $".{height}+{Git("rev-parse", "--short", "HEAD")}"), stdout.Trim());
    }

    // What git says in the repository, or null outside a git clone.
    private static string? Git(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Fixtures.RepoRoot };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout.Trim() : null;
    }

    [Fact]
    public void Convert_H5Output_WritesKerasOnly()
    {
        var folder = Fixtures.TempFolder();
        var output = Path.Combine(folder, "demo.h5");

        var (exit, stdout, stderr) = CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), output);

        Assert.True(exit == 0, stderr);
        Assert.Matches(@"^wrote .*demo\.h5: 23 Darknet layers -> 39 Keras layers \(custom: Mish, ChannelSlice\), 0\.4 MB, outputs conv_014 conv_021 \(NHWC\), \d+\.\d\d s\n$", stdout);
        Assert.Equal([0x89, (byte)'H', (byte)'D', (byte)'F'], File.ReadAllBytes(output)[..4]);
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void Convert_KerasBesideCoreML_WritesBoth()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        var h5 = Path.Combine(folder, "demo.h5");

        var (exit, stdout, stderr) = CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), model, "--keras", h5);

        Assert.True(exit == 0, stderr);
        Assert.Equal(2, stdout.TrimEnd().Split('\n').Length);
        Assert.True(File.Exists(model) && File.Exists(h5));
    }
}
