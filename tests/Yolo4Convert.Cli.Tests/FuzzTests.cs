using System.Diagnostics;
using System.Text.Json;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>
/// Seeded fuzzing (fixed seeds, so the same cases every run): 300 mutated cfgs through `inspect` and 300 damaged
/// .mlmodel files through `detect`, run by the fuzz driver of the benchmarks project in a process of its own, so
/// that its peak RSS (reset before each case) belongs to that case alone.
/// </summary>
public sealed class FuzzTests
{
    [Fact]
    public async Task Fuzz_FixedSeeds_NoInternalErrorStackTraceHangOrRunOverOneGigabyte()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        var driver = Fixtures.Repo(Path.Combine("tests", "Yolo4Convert.Benchmarks", "bin", configuration, "net10.0", "Yolo4Convert.Benchmarks.dll"));
        Assert.True(File.Exists(driver), $"the fuzz driver is not built: {driver}");
        var shared = Path.GetDirectoryName(Path.GetDirectoryName(Fixtures.Shared(Fixtures.DogImage)))!;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { driver, "fuzz", shared, Fixtures.TempFolder(), "--seed", "11", "--cfg-runs", "300", "--model-runs", "300", "--timeout", "30", "--rss-mb", "1024" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        var (stdout, stderr) = (await stdoutTask, await stderrTask);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stdout}{stderr}");
        var summary = JsonDocument.Parse(stdout).RootElement;

        Assert.Equal(0, summary.GetProperty("failures").GetArrayLength());
        foreach (var command in new[] { "inspect", "detect" })
        {
            var codes = summary.GetProperty("exitCodes").GetProperty(command).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            Assert.Equal(300, codes.Values.Sum());
            Assert.DoesNotContain("5", codes.Keys);
            Assert.True(codes.GetValueOrDefault("2") > 30, $"{command}: the mutations should mostly be caught as invalid input: {string.Join(", ", codes)}");
        }

        Assert.True(summary.GetProperty("worstPeakRssMb").GetInt64() < 1024);
    }
}
