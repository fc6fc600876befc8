using System.Diagnostics;
using System.Reflection;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests.Packaging;

/// <summary>
/// The release artifacts that .ci/pack writes into artifacts/. The packaging tests check them and fail (never skip)
/// when they are missing or were built from another commit than the tests.
/// </summary>
internal static class Artifacts
{
    public static string Folder => Fixtures.Repo("artifacts");

    /// <summary>The version the JIT build under test reports: "0.1.0+commit".</summary>
    public static string JitVersion =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    /// <summary>The one tool package in artifacts/.</summary>
    public static string ToolPackage
    {
        get
        {
            var packages = Directory.Exists(Folder) ? Directory.GetFiles(Folder, "yolo4convert.*.nupkg") : [];
            if (packages.Length != 1)
            {
                throw new InvalidOperationException($"expected one yolo4convert.<version>.nupkg in {Folder}, found {packages.Length}. Run .ci/pack first (.ci/run does).");
            }

            return packages[0];
        }
    }

    /// <summary>The published linux-x64 executable, checked to be built from the same commit as the tests.</summary>
    public static string LinuxBinary
    {
        get
        {
            var path = Require("linux-x64/yolo4convert");
            var version = Run(path, "--version").Out.Trim();
            if (version != JitVersion)
            {
                throw new InvalidOperationException($"{path} reports version '{version}' but the tests were built as '{JitVersion}': the artifacts are stale, rerun .ci/pack.");
            }

            return path;
        }
    }

    /// <summary>A file under artifacts/; throws when .ci/pack has not made it.</summary>
    public static string Require(string relative)
    {
        var path = Path.Combine(Folder, relative);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing. Run .ci/pack first (.ci/run does).");
    }

    /// <summary>Runs a program with arguments and returns its exit code and output.</summary>
    public static (int Exit, string Out, string Err) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(" ", args)} did not finish within 2 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr);
    }
}
