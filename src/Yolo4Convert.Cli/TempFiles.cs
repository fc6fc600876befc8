using System.Globalization;
using System.Runtime.InteropServices;

namespace Yolo4Convert.Cli;

/// <summary>
/// The temporary files and folders (packages) of this process. Names are short (<c>.y4c-PID-N.tmp</c>, under 32 bytes) so any legal output
/// name works, whatever its length. On SIGINT or SIGTERM every live temporary is removed and the process exits with
/// the conventional 128 + signal number (130, 143); a commit in progress finishes first, and none starts afterwards.
/// </summary>
internal static class TempFiles
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Live = [];
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _counter;
    private static bool _aborting;

    /// <summary>Removes temporaries and exits on SIGINT/SIGTERM. Called once by the real process, not by in-process tests.</summary>
    public static void HandleSignals()
    {
        lock (Gate)
        {
            if (Registrations.Count > 0)
            {
                return;
            }

            try
            {
                Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Abort(context, "SIGINT", ExitCodes.Interrupted)));
                Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Abort(context, "SIGTERM", ExitCodes.Terminated)));
            }
            catch (PlatformNotSupportedException)
            {
                // Without signal handling a temporary may remain after a kill; the output itself is still never damaged.
            }
        }
    }

    /// <summary>Creates a new temporary file in <paramref name="folder"/> and opens it for writing (and reading back: the Keras writer patches what it wrote).</summary>
    public static (string Path, FileStream Stream) Create(string folder)
    {
        while (true)
        {
            var path = Path.Combine(folder, NextName());
            lock (Gate)
            {
                WaitIfAborting();
                try
                {
                    var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20);
                    Live.Add(path);
                    return (path, stream);
                }
                catch (IOException) when (File.Exists(path))
                {
                    // A leftover of an earlier process with the same id: take the next number.
                }
            }
        }
    }

    /// <summary>Creates a new, empty temporary folder in <paramref name="folder"/> (for an output that is a folder, such as a package).</summary>
    public static string CreateDirectory(string folder)
    {
        lock (Gate)
        {
            WaitIfAborting();
            while (true)
            {
                var path = Path.Combine(folder, NextName());
                if (File.Exists(path) || Directory.Exists(path))
                {
                    continue; // a leftover of an earlier process with the same id: take the next number.
                }

                Directory.CreateDirectory(path);
                Live.Add(path);
                return path;
            }
        }
    }

    /// <summary>Renames each temporary onto its target; the signal handler waits until all are done.</summary>
    public static void Commit(IReadOnlyList<(string Temp, string Target)> files)
    {
        lock (Gate)
        {
            WaitIfAborting();
            foreach (var (temp, target) in files)
            {
                if (Directory.Exists(temp))
                {
                    CommitDirectory(temp, target);
                }
                else
                {
                    File.Move(temp, target, overwrite: true);
                }

                Live.Remove(temp);
            }
        }
    }

    /// <summary>Deletes a temporary (best effort) and forgets it.</summary>
    public static void Delete(string path)
    {
        lock (Gate)
        {
            TryDelete(path);
            Live.Remove(path);
        }
    }

    // A folder cannot be renamed over an existing one: the old output is renamed aside (a temporary name, so a kill
    // in between leaves it to the stale-temporary sweep, never half a package), the new one renamed in, and the old
    // one deleted. If the second rename fails the old output is put back.
    private static void CommitDirectory(string temp, string target)
    {
        var exists = Directory.Exists(target) || File.Exists(target);
        if (!exists)
        {
            Directory.Move(temp, target);
            return;
        }

        var aside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, NextName());
        var wasFolder = Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null;
        if (wasFolder)
        {
            Directory.Move(target, aside);
        }
        else
        {
            File.Move(target, aside);
        }

        Live.Add(aside);
        try
        {
            Directory.Move(temp, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (wasFolder)
            {
                Directory.Move(aside, target);
            }
            else
            {
                File.Move(aside, target);
            }

            Live.Remove(aside);
            throw;
        }

        TryDelete(aside);
        Live.Remove(aside);
    }

    private static string NextName() =>
        string.Create(CultureInfo.InvariantCulture, $".y4c-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}.tmp");

    private static void Abort(PosixSignalContext context, string name, int exitCode)
    {
        var removed = 0;
        lock (Gate)
        {
            _aborting = true;
            foreach (var path in Live)
            {
                TryDelete(path);
                removed++;
            }

            Live.Clear();
        }

        Console.Error.WriteLine(removed > 0
            ? $"error: interrupted by {name}; the output was not written (temporary files removed)."
            : $"error: interrupted by {name}.");
        context.Cancel = true;
        Environment.Exit(exitCode);
    }

    // Once a signal has removed the temporaries, the process is exiting: nothing new may be created or committed,
    // and nothing else is printed.
    private static void WaitIfAborting()
    {
        if (_aborting)
        {
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // Best effort: the file is gone or its folder is.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
