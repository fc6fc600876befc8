using System.Security.Cryptography;
using System.Text.Json;

namespace Yolo4Convert.Cli.Tests;

/// <summary>What every failing run must look like: its exit code, one line (or one JSON error), nothing left behind.</summary>
internal static class CliAssert
{
    /// <summary>The SHA-256 of every file in a folder (hidden ones included), by name; symlinks by their target text.</summary>
    public static Dictionary<string, string> Snapshot(string folder) => Directory.GetFiles(folder).ToDictionary(
        f => Path.GetFileName(f),
        f => new FileInfo(f).LinkTarget is { } target ? "link:" + target : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    /// <summary>A failed run: the exit code, nothing on stdout, exactly one line on stderr; returns that line.</summary>
    public static string OneErrorLine((int Exit, string Out, string Err) run, int exit)
    {
        Assert.True(run.Exit == exit, $"exit {run.Exit}, expected {exit}; stderr: {run.Err}; stdout: {run.Out}");
        Assert.Equal(string.Empty, run.Out);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one stderr line, got {lines.Length}: {run.Err}");
        Assert.DoesNotContain("   at ", run.Err);
        return lines[0];
    }

    /// <summary>A failed run under --json: the exit code, one JSON error object on stdout and nothing else; returns the error.</summary>
    public static JsonElement JsonError((int Exit, string Out, string Err) run, int exit)
    {
        Assert.True(run.Exit == exit, $"exit {run.Exit}, expected {exit}; stdout: {run.Out}; stderr: {run.Err}");
        Assert.Equal(string.Empty, run.Err);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(["error"], root.EnumerateObject().Select(p => p.Name));
        var error = root.GetProperty("error").Clone();
        Assert.Equal(exit, error.GetProperty("code").GetInt32());
        Assert.Contains("error: ", error.GetProperty("message").GetString());
        return error;
    }

    /// <summary>The folder holds exactly the files it held before, with the same bytes.</summary>
    public static void Unchanged(Dictionary<string, string> before, string folder) => Assert.Equal(
        before.OrderBy(p => p.Key, StringComparer.Ordinal), Snapshot(folder).OrderBy(p => p.Key, StringComparer.Ordinal));
}
