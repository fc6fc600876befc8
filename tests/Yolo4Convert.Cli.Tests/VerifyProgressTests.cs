using System.Diagnostics;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>`verify` shows a progress line on a terminal only.</summary>
public sealed class VerifyProgressTests
{
    private static string DemoModel(string folder)
    {
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);
        return model;
    }

    // Runs the real tool under a pseudo-terminal (util-linux `script`), so stderr is a TTY.
    internal static Task<(int Exit, string Terminal)> RunOnATerminal(params string[] args) => RunOnATerminal(new Dictionary<string, string>(), args);

    internal static async Task<(int Exit, string Terminal)> RunOnATerminal(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var command = string.Join(" ", new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "yolo4convert.dll") }.Concat(args).Select(a => $"'{a}'"));
        var info = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-qefc", command, "/dev/null" })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task Verify_OnATerminal_ShowsTheStepsAndErasesThem()
    {
        var folder = Fixtures.TempFolder();
        var model = DemoModel(folder);

        var (exit, terminal) = await RunOnATerminal("verify", Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model);

        Assert.True(exit == 0, terminal);
        Assert.Contains("\rverify: reading the model, cfg and weights… 0.", terminal);
        Assert.Contains("\rverify: running the Darknet reference… ", terminal);
        Assert.Matches(@"\r +\r", terminal); // erased before the report
        Assert.Contains("): ok", terminal);
    }

    [Fact]
    public async Task Verify_OnATerminalWithJson_ShowsNoProgress()
    {
        var folder = Fixtures.TempFolder();
        var model = DemoModel(folder);

        var (exit, terminal) = await RunOnATerminal("verify", Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model, "--json");

        Assert.True(exit == 0, terminal);
        Assert.DoesNotContain("verify: ", terminal);
        Assert.DoesNotContain("\r ", terminal);
    }

    [Fact]
    public void Verify_NotOnATerminal_PrintsNothingOnStderr()
    {
        var folder = Fixtures.TempFolder();
        var model = DemoModel(folder);

        var (exit, stdout, stderr) = CliRunner.Run("verify", Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model);

        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, stderr);
        Assert.EndsWith(": ok\n", stdout);
    }
}
