using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>`convert` and `help` as commands, the help's usage lines and defaults, and Darknet's single-dash flags.</summary>
public sealed class CommandLineConventionsTests
{
    private static string Sample(string name) => Fixtures.Repo(Path.Combine("samples", name));

    [Fact]
    public void Convert_AsAnExplicitCommand_WritesTheSameModelAsTheBareForm()
    {
        var folder = Fixtures.TempFolder();
        var bare = Path.Combine(folder, "bare.mlmodel");
        var named = Path.Combine(folder, "named.mlmodel");

        var bareRun = CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), bare, "--mish", "native");
        var namedRun = CliRunner.Run("convert", Sample("demo.cfg"), Sample("demo.weights"), named, "--mish", "native");

        Assert.True(bareRun.Exit == 0, bareRun.Err);
        Assert.True(namedRun.Exit == 0, namedRun.Err);
        Assert.StartsWith($"wrote {named}: 23 Darknet layers -> ", namedRun.Out);
        Assert.Equal(File.ReadAllBytes(bare), File.ReadAllBytes(named));
    }

    [Fact]
    public void Convert_AsAnExplicitCommand_HasTheRootsOptionsAndUsage()
    {
        var rootOptions = Help("--help").Split('\n').SkipWhile(l => l != "Options:").TakeWhile(l => l.Length > 0).Where(l => !l.Contains("--version", StringComparison.Ordinal));
        var convertOptions = Help("convert", "--help").Split('\n').SkipWhile(l => l != "Options:").TakeWhile(l => l.Length > 0);

        Assert.Equal(rootOptions.Select(l => l.Trim().Split(' ')[0]).Order(), convertOptions.Select(l => l.Trim().Split(' ')[0]).Order());
        Assert.Contains("  yolo4convert convert <CFG> <WEIGHTS> <OUTPUT> [options]\n", Help("convert", "--help"));
        Assert.Equal(
            "error: missing OUTPUT. Usage: yolo4convert convert CFG WEIGHTS OUTPUT [options]. See 'yolo4convert convert --help'.",
            CliAssert.OneErrorLine(CliRunner.Run("convert", "a.cfg", "b.weights"), 1));
    }

    [Theory]
    [InlineData(new[] { "help" }, new[] { "--help" })]
    [InlineData(new[] { "help", "verify" }, new[] { "verify", "--help" })]
    [InlineData(new[] { "help", "inspect" }, new[] { "inspect", "--help" })]
    [InlineData(new[] { "help", "convert" }, new[] { "convert", "--help" })]
    public void Help_Command_PrintsTheSameHelpAsTheOption(string[] args, string[] option)
    {
        Assert.Equal(Help(option), Help(args));
    }

    [Theory]
    [InlineData("inspec", "error: unknown command 'inspec'. Did you mean 'inspect'? See 'yolo4convert --help'.")]
    [InlineData("frobnicate", "error: unknown command 'frobnicate'. Commands: convert, inspect, detect, verify, help. See 'yolo4convert --help'.")]
    public void Help_UnknownCommand_IsAUsageError(string command, string expected)
    {
        Assert.Equal(expected, CliAssert.OneErrorLine(CliRunner.Run("help", command), 1));
    }

    [Fact]
    public void RootHelp_UsageNamesTheCommandFirst_AndOptionalArgumentsAreOptional()
    {
        var help = Help("--help");

        Assert.Contains("Usage:\n  yolo4convert [convert] <CFG> <WEIGHTS> <OUTPUT> [options]\n  yolo4convert <command> [arguments] [options]\n", help);
        Assert.DoesNotContain("[command]", help);
        Assert.Contains("\n  inspect <CFG|MODEL> [<WEIGHTS>] ", help);
        Assert.Contains("\n  help [<COMMAND>] ", help);
        Assert.Contains("\n  verify <CFG> <WEIGHTS> <MODEL> ", help);
    }

    [Fact]
    public void RootHelp_ListsEveryExitCode_IncludingTheSignals()
    {
        var help = Help("--help");

        Assert.Contains("130 interrupted (Ctrl-C, SIGINT), 143 terminated (SIGTERM).", help);
        Assert.All(ExitCodes.All, e => Assert.Contains($" {e.Code} {e.Meaning}", help));
    }

    [Fact]
    public void VerifyHelp_ModelDependentDefaults_AreGivenInWordsFromTheTable()
    {
        var help = Help("verify", "--help");

        Assert.DoesNotContain("[default: 0]", help);
        var tolerance = Assert.Single(help.Split('\n'), l => l.TrimStart().StartsWith("--tolerance", StringComparison.Ordinal));
        Assert.EndsWith("[default: per format (the coarser of the stored weights and --precision): 1e-4 for fp32, 0.02 for fp16, 0.05 for linear8 (informative), 0.1 for kmeans8 (informative), 0.25 for kmeans6 (informative), 0.5 for kmeans4 (informative)]", tolerance);
        var minIou = Assert.Single(help.Split('\n'), l => l.TrimStart().StartsWith("--min-iou", StringComparison.Ordinal));
        Assert.EndsWith("[default: per format (the coarser of the stored weights and --precision): 0.9 for fp32, 0.9 for fp16, 0.8 for linear8, 0.8 for kmeans8, 0.5 for kmeans6, 0.5 for kmeans4]", minIou);
    }

    [Theory]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "-thresh", "0.3" }, "error: unknown option '-thresh' (Darknet's spelling). Did you mean '--threshold'? See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "-ext_output" }, "error: '-ext_output' is a Darknet flag, not needed here: detect prints every box with its coordinates. See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "detect", "-dont_show", "m.mlmodel", "i.png" }, "error: '-dont_show' is a Darknet flag, not needed here: yolo4convert never opens a window. See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "-out", "b.png" }, "error: unknown option '-out'. Did you mean '--out'? See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "-i", "0" }, "error: '-i' is a Darknet flag, not needed here: yolo4convert runs on the CPU, there is no GPU to pick. See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "verify", "a.cfg", "b.weights", "m.mlmodel", "-thresh", "0.3" }, "error: unknown option '-thresh' (Darknet's spelling). Did you mean '--threshold'? See 'yolo4convert verify --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "-size", "416x416" }, "error: unknown option '-size'. Did you mean '--size'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "inspect", "a.cfg", "-json" }, "error: unknown option '-json'. Did you mean '--json'? See 'yolo4convert inspect --help'.")]
    public void DarknetSingleDashFlags_GetTheirCounterpartOrWhyNoneIsNeeded(string[] args, string expected)
    {
        Assert.Equal(expected, CliAssert.OneErrorLine(CliRunner.Run(args), 1));
    }

    private static string Help(params string[] args)
    {
        var (exit, stdout, stderr) = CliRunner.Run(args);
        Assert.True(exit == 0, stderr);
        Assert.Equal(string.Empty, stderr);
        return stdout.ReplaceLineEndings("\n");
    }
}
