using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Yolo4Convert.Cli;

/// <summary>
/// Temporaries left by a run that could not clean up (SIGKILL, power loss): files named exactly as
/// <see cref="TempFiles"/> names them, <c>.y4c-PID-N.tmp</c>, whose process no longer exists. A temporary of a live
/// process, one still locked by its writer (another PID namespace may share the folder), and any other file are kept.
/// </summary>
internal static partial class StaleTemporaries
{
    /// <summary>Removes the stale temporaries in a folder; returns the name and size of each one removed, by name.</summary>
    public static IReadOnlyList<(string Name, long Bytes)> Sweep(string folder, Func<int, bool>? isAlive = null)
    {
        isAlive ??= IsAlive;
        var removed = new List<(string Name, long Bytes)>();
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFileSystemEntries(folder, ".y4c-*.tmp");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        foreach (var path in files.Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (ProcessOf(name) is not { } pid || pid == Environment.ProcessId || isAlive(pid))
            {
                continue;
            }

            var info = new FileInfo(path);
            if (info.LinkTarget is not null || (info.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                continue;
            }

            if ((Directory.Exists(path) ? TryRemoveFolder(path) : TryRemove(path)) is { } bytes)
            {
                removed.Add((name, bytes));
            }
        }

        return removed;
    }

    /// <summary>The process id in a temporary's name, or null when the name is not exactly <c>.y4c-PID-N.tmp</c>.</summary>
    public static int? ProcessOf(string fileName) =>
        Pattern().Match(fileName) is { Success: true } m && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>Whether a process with this id exists (on Linux from /proc; elsewhere by asking the OS). When unsure: alive.</summary>
    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux() && Directory.Exists("/proc/self"))
        {
            return Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no process with that id
        }
        catch (Exception ex) when (ex is InvalidOperationException or PlatformNotSupportedException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>The one line that reports what was removed, e.g. <c>note: removed 1 stale temporary left by an interrupted run: .y4c-1234-1.tmp (257.7 MB)</c>.</summary>
    public static string Describe(IReadOnlyList<(string Name, long Bytes)> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        var list = string.Join(", ", removed.Select(r => $"{r.Name} ({Size(r.Bytes)})"));
        return removed.Count == 1
            ? $"note: removed 1 stale temporary left by an interrupted run: {list}"
            : $"note: removed {removed.Count} stale temporaries left by interrupted runs: {list}";
    }

    private static string Size(long bytes) => bytes switch
    {
        1 => "1 byte",
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        < 1_000_000 => (bytes / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " kB",
        _ => CommonOptions.Mb(bytes),
    };

    // Opened exclusively first: a writer holds its temporary with FileShare.None (a lock on Unix), so a file still
    // being written fails to open here and is kept. Closing the handle deletes the file.
    private static long? TryRemove(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return stream.Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // A temporary package folder of a dead process: nothing holds it any more; returns the bytes of its files.
    private static long? TryRemoveFolder(string path)
    {
        try
        {
            var bytes = new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            Directory.Delete(path, recursive: true);
            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^\.y4c-([1-9][0-9]{0,9})-([1-9][0-9]{0,9})\.tmp\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
