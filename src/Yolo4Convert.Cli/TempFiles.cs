using System.Globalization;
using System.Runtime.InteropServices;

namespace Yolo4Convert.Cli;

/// <summary>
/// The temporary files of this process. Names are short (<c>.y4c-PID-N.tmp</c>, under 32 bytes) so any legal output
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
            var name = string.Create(CultureInfo.InvariantCulture, $".y4c-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}.tmp");
            var path = Path.Combine(folder, name);
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

    /// <summary>Renames each temporary onto its target; the signal handler waits until all are done.</summary>
    public static void Commit(IReadOnlyList<(string Temp, string Target)> files)
    {
        lock (Gate)
        {
            WaitIfAborting();
            foreach (var (temp, target) in files)
            {
                File.Move(temp, target, overwrite: true);
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
            File.Delete(path);
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
