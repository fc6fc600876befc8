using System.Text.RegularExpressions;

namespace Yolo4Convert.Tests;

/// <summary>The boundaries ARCHITECTURE.md draws, checked on the sources: who may look at Darknet layer kinds, who opens files.</summary>
public sealed partial class BoundaryTests
{
    [Fact]
    public void DarknetLayerKinds_AreMatchedOnlyByTheReaderTheReferenceAndTheLowering()
    {
        var allowed = new[] { "src/Yolo4Convert.Core/Darknet/", "src/Yolo4Convert.Core/Reference/", "src/Yolo4Convert.Core/Ir/DarknetLowering.cs" };

        var offenders = Sources("src")
            .Where(f => !allowed.Any(a => f.Relative.StartsWith(a, StringComparison.Ordinal)))
            .SelectMany(f => KindMatch().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}"))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void TheLibrary_NeverOpensAFileByPath()
    {
        var offenders = Sources("src/Yolo4Convert.Core")
            .SelectMany(f => FileOpening().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}"))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void PassesAndDarknet_DoNotDependOnEachOther()
    {
        var passes = Sources("src/Yolo4Convert.Core/Passes").Where(f => f.Text.Contains("using Yolo4Convert.Darknet;", StringComparison.Ordinal));
        var darknet = Sources("src/Yolo4Convert.Core/Darknet").Where(f => f.Text.Contains("using Yolo4Convert.Passes;", StringComparison.Ordinal));

        Assert.Empty(passes.Concat(darknet).Select(f => f.Relative));
    }

    private static IEnumerable<(string Relative, string Text)> Sources(string folder) =>
        Directory.EnumerateFiles(Fixtures.Repo(folder), "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Fixtures.RepoRoot, p).Replace('\\', '/'))
            .Where(p => !p.Contains("/obj/", StringComparison.Ordinal) && !p.Contains("/bin/", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(Fixtures.Repo(p))));

    // `case YoloLayer y`, `YoloLayer y =>`, `is YoloLayer`, `OfType<RouteLayer>` over any Darknet layer record but the base kinds.
    [GeneratedRegex(@"(case|is|not|or|OfType<)\s*(Convolutional|MaxPool|AvgPool|Route|Shortcut|Upsample|Reorg|Identity|Softmax|ScaleChannels|Sam|Yolo|Region)Layer\b|\b(Convolutional|MaxPool|AvgPool|Route|Shortcut|Upsample|Reorg|Identity|Softmax|ScaleChannels|Sam|Yolo|Region)Layer\s+\w+\s*(=>|when)")]
    private static partial Regex KindMatch();

    [GeneratedRegex(@"new FileStream\(|\bFile\.(Open|OpenRead|ReadAll\w*|Exists)\(|new FileInfo\(")]
    private static partial Regex FileOpening();
}
