using System.Diagnostics;
using System.Globalization;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>Temporaries left by a killed run are removed by the next run into the folder; nothing else is.</summary>
public sealed class StaleTemporariesTests
{
    // A process id no process has: above the kernel's limit on Linux, else that of a child that has exited.
    private static int DeadPid()
    {
        if (File.Exists("/proc/sys/kernel/pid_max"))
        {
            return int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture) + 1;
        }

        using var child = Process.Start(new ProcessStartInfo(OperatingSystem.IsWindows() ? "cmd" : "true") { Arguments = OperatingSystem.IsWindows() ? "/c exit" : string.Empty })!;
        child.WaitForExit();
        return child.Id;
    }

    private static string Temp(int pid, int n) => string.Create(CultureInfo.InvariantCulture, $".y4c-{pid}-{n}.tmp");

    private static string Make(string folder, string name, int bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, new byte[bytes]);
        return path;
    }

    [Fact]
    public void Sweep_DeadProcess_RemovesOnlyItsExactlyNamedTemporaries()
    {
        var folder = Fixtures.TempFolder();
        var dead = DeadPid();
        Make(folder, Temp(dead, 1), 1_500_000);
        Make(folder, Temp(dead, 2), 10);
        string[] kept =
        [
            Temp(Environment.ProcessId, 1), // a live process: this one
            ".foo.tmp",
            $".y4c-{dead}-1.tmp.bak",
            $"y4c-{dead}-1.tmp",
            $".y4c-{dead}-x.tmp",
            $".y4c-{dead}.tmp",
            $".Y4C-{dead}-3.tmp",
        ];
        foreach (var name in kept)
        {
            Make(folder, name, 5);
        }

        var removed = StaleTemporaries.Sweep(folder);

        Assert.Equal([(Temp(dead, 1), 1_500_000L), (Temp(dead, 2), 10L)], removed);
        Assert.Equal(kept.Order(StringComparer.Ordinal), Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(
            $"note: removed 2 stale temporaries left by interrupted runs: {Temp(dead, 1)} (1.5 MB), {Temp(dead, 2)} (10 bytes)",
            StaleTemporaries.Describe(removed));
    }

    [Fact]
    public void Sweep_DeadProcessesTemporaryPackageFolder_IsRemovedWhole_ALiveOnesIsKept()
    {
        var folder = Fixtures.TempFolder();
        var dead = Path.Combine(folder, Temp(DeadPid(), 4));
        Directory.CreateDirectory(Path.Combine(dead, "Data", "com.apple.CoreML"));
        Make(dead, "Manifest.json", 100);
        Make(Path.Combine(dead, "Data", "com.apple.CoreML"), "model.mlmodel", 2000);
        var live = Path.Combine(folder, Temp(Environment.ProcessId, 9));
        Directory.CreateDirectory(live);

        var removed = StaleTemporaries.Sweep(folder);

        Assert.Equal([(Temp(DeadPid(), 4), 2100L)], removed);
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
    }

    [Fact]
    public void Sweep_TemporaryStillOpenByItsWriter_IsKept()
    {
        // A writer in another PID namespace shows a PID that does not exist here; its exclusive handle keeps the file.
        var folder = Fixtures.TempFolder();
        var path = Make(folder, Temp(DeadPid(), 1), 100);
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        Assert.Empty(StaleTemporaries.Sweep(folder));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void IsAlive_ThisProcessAndAFinishedChild()
    {
        using var child = Process.Start(new ProcessStartInfo(OperatingSystem.IsWindows() ? "cmd" : "true") { Arguments = OperatingSystem.IsWindows() ? "/c exit" : string.Empty })!;
        child.WaitForExit();

        Assert.True(StaleTemporaries.IsAlive(Environment.ProcessId));
        Assert.False(StaleTemporaries.IsAlive(child.Id));
        Assert.False(StaleTemporaries.IsAlive(DeadPid()));
    }

    [Fact]
    public void Convert_IntoAFolderWithAKilledRunsTemporary_RemovesItAndSaysSo()
    {
        var folder = Fixtures.TempFolder();
        var dead = DeadPid();
        Make(folder, Temp(dead, 1), 2_600_000);
        var live = Make(folder, Temp(Environment.ProcessId, 7), 5);
        var other = Make(folder, ".foo.tmp", 5);
        var model = Path.Combine(folder, "demo.mlmodel");

        var (exit, _, stderr) = CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model);

        Assert.True(exit == 0, stderr);
        Assert.Equal($"note: removed 1 stale temporary left by an interrupted run: {Temp(dead, 1)} (2.6 MB)\n", stderr);
        Assert.Equal([other, live, model], Directory.GetFiles(folder).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Detect_OutIntoAFolderWithAKilledRunsTemporary_RemovesIt()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);
        var image = Path.Combine(folder, "image.png");
        DetectOutputTests.WritePng(image, 64, 48);
        var outFolder = Path.Combine(folder, "out");
        Directory.CreateDirectory(outFolder);
        var dead = DeadPid();
        Make(outFolder, Temp(dead, 3), 42);

        var (exit, _, stderr) = CliRunner.Run("detect", model, image, "--out", Path.Combine(outFolder, "boxes.png"), "--max-detections", "100000");

        Assert.True(exit == 0, stderr);
        Assert.Equal($"note: removed 1 stale temporary left by an interrupted run: {Temp(dead, 3)} (42 bytes)\n", stderr);
        Assert.Equal(["boxes.png"], Directory.GetFiles(outFolder).Select(Path.GetFileName));
    }

    [Fact]
    public void Help_SaysWhereTemporariesLiveAndWhenTheyAreRemoved()
    {
        var (exit, stdout, _) = CliRunner.Run("--help");

        Assert.Equal(0, exit);
        Assert.Contains("Outputs are written to a temporary beside them (.y4c-PID-N.tmp) and renamed when complete; temporaries are", stdout);
        Assert.Contains("removed on failure, SIGINT and SIGTERM, and by the next run writing into that folder after a kill.", stdout);
    }
}
