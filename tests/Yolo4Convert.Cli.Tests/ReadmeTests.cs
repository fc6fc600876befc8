using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>The README serves a newcomer: the test command works from the clone alone, the app recipe comes first.</summary>
public sealed class ReadmeTests
{
    private static readonly string[] Lines = File.ReadAllLines(Fixtures.Repo("README.md"));

    [Fact]
    public void TestCommand_IsAScriptInTheCloneThatNeedsNothingBesideIt()
    {
        var quickStart = Lines.SkipWhile(l => l != "```sh").Skip(1).TakeWhile(l => l != "```").ToList();
        var test = Assert.Single(quickStart, l => l.StartsWith(".ci/", StringComparison.Ordinal));

        var script = File.ReadAllText(Fixtures.Repo(test.Split(' ')[0]));
        Assert.DoesNotContain(Path.Combine("..", "shared"), script, StringComparison.Ordinal);
        Assert.Contains("apt-get install", script, StringComparison.Ordinal);
        Assert.Matches(@"echo ""\$passed passed, \$failed failed""", script);
    }

    [Fact]
    public void AppRecipe_IsOnTheFirstScreen_AndBuildInternalsAreNotInTheUsersPath()
    {
        var firstScreen = string.Join("\n", Lines.Take(40));
        Assert.Contains("## For an iOS app", firstScreen, StringComparison.Ordinal);
        Assert.Matches(@"yolo4convert \S+\.cfg \S+\.weights \S+\.mlpackage --nms", firstScreen);
        Assert.Matches(@"yolo4convert \S+\.cfg \S+\.weights \S+\.mlmodel --nms", firstScreen);

        var text = string.Join("\n", Lines);
        Assert.DoesNotContain("IL2060", text, StringComparison.Ordinal);
        Assert.DoesNotContain("IL3050", text, StringComparison.Ordinal);
    }
}
