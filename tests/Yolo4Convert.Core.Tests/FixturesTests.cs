using System.Diagnostics;

namespace Yolo4Convert.Tests;

/// <summary>The suite tests itself from the clone alone, and a run's files do not outlive it.</summary>
public sealed class FixturesTests
{
    [Fact]
    public void EveryZooCfgTheRealModelAndThePhotosAreInTheRepository()
    {
        var data = Path.Combine(Fixtures.RepoRoot, "tests", "data") + Path.DirectorySeparatorChar;
        foreach (var relative in Fixtures.KnownWeightSizes.Keys.Append(Fixtures.RealModelWeights).Append(Fixtures.DogImage).Append("cfg/coco.names"))
        {
            Assert.StartsWith(data, Fixtures.Shared(relative), StringComparison.Ordinal);
        }

        Assert.Equal(Fixtures.KnownWeightSizes[Fixtures.RealModelCfg], new FileInfo(Fixtures.Shared(Fixtures.RealModelWeights)).Length);
        Assert.Equal(80, File.ReadAllLines(Fixtures.Shared("cfg/coco.names")).Count(l => l.Trim().Length > 0));
    }

    [Fact]
    public void AMissingInputFailsWithItsPath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Fixtures.Shared("cfg/no-such.cfg"));
        Assert.Contains(Path.Combine("tests", "data", "cfg", "no-such.cfg"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunFoldersOfEndedProcessesAreRemovedAndOthersKept()
    {
        var parent = Path.Combine(Fixtures.TempFolder(), "runs");
        using (var ended = Process.Start(new ProcessStartInfo("true"))!)
        {
            ended.WaitForExit();
            Directory.CreateDirectory(Path.Combine(parent, $"run-{ended.Id}-a", "weights"));
        }

        var live = Path.Combine(parent, $"run-{Environment.ProcessId}-b");
        var other = Path.Combine(parent, "run-notes");
        Directory.CreateDirectory(live);
        Directory.CreateDirectory(other);

        var removed = Fixtures.RemoveStaleRuns(parent);

        Assert.Single(removed);
        Assert.False(Directory.Exists(Path.Combine(parent, removed[0])));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(other));
    }
}
