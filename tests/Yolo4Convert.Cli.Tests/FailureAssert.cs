using System.Security.Cryptography;

namespace Yolo4Convert.Cli.Tests;

/// <summary>One failure class: the exit code, exactly one stderr line, and the folder exactly as before (no leftover file, inputs unchanged).</summary>
internal static class FailureAssert
{
    public static string Fails(int exitCode, string folder, params string[] args)
    {
        var before = Snapshot(folder);

        var (exit, stdout, stderr) = CliRunner.Run(args);

        Assert.True(exit == exitCode, $"exit {exit}, expected {exitCode}: {stderr}{stdout}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(folder));
        return line;
    }

    /// <summary>Every file of the folder (hidden temporaries included) with its content hash.</summary>
    public static string Snapshot(string folder) => string.Join("\n", Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetFileName(f)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}"));
}
