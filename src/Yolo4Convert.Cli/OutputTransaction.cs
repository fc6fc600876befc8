namespace Yolo4Convert.Cli;

/// <summary>
/// The files one run writes, committed together. <see cref="Begin"/> checks every output against every input and
/// against the other outputs (by file identity, so symlinks and hard links are caught) before any work is done;
/// <see cref="Write{T}"/> writes each output to a short-named temporary sibling; <see cref="Commit"/> renames them all
/// only once everything succeeded. Disposing an uncommitted transaction, a failure, or SIGINT/SIGTERM
/// (<see cref="TempFiles"/>) removes the temporaries, so a run never leaves a partial file nor damages an existing one.
/// The first write into a folder also removes the temporaries a killed run left there (<see cref="StaleTemporaries"/>).
/// An output named *.mlpackage is a folder (<see cref="WritePackage{T}"/>) with the same guarantees: written to a
/// temporary sibling folder, and an existing package replaced only at the commit.
/// </summary>
internal sealed class OutputTransaction : IDisposable
{
    private readonly Dictionary<string, string> _declared;
    private readonly List<(string Temp, string Target)> _written = [];
    private readonly HashSet<string> _swept = [];
    private readonly TextWriter? _notes;
    private bool _done;

    private OutputTransaction(Dictionary<string, string> declared, TextWriter? notes) => (_declared, _notes) = (declared, notes);

    /// <summary>
    /// Starts a transaction for the given outputs (role such as "OUTPUT" or "--keras", and path; null paths are
    /// skipped). Throws <see cref="UsageException"/> when an output is an input, another output or a folder, and
    /// <see cref="DirectoryNotFoundException"/> when an output's folder does not exist. Stale temporaries removed
    /// from an output's folder are reported as one line on <paramref name="notes"/> (stderr).
    /// </summary>
    public static OutputTransaction Begin(IEnumerable<(string Role, string? Path)> inputs, IEnumerable<(string Role, string? Path)> outputs, TextWriter? notes = null)
    {
        var ins = inputs.Where(i => i.Path is not null).Select(i => (i.Role, Path: i.Path!, Id: FileIdentity.Of(i.Path!))).ToList();
        var outs = new List<(string Role, string Path, string Full, FileIdentity? File, FileIdentity? Folder, string Name)>();
        foreach (var (role, path) in outputs)
        {
            if (path is null)
            {
                continue;
            }

            var full = Path.GetFullPath(path);
            var (file, folder, name) = FileIdentity.OfTarget(full);
            if (folder is null)
            {
                throw new DirectoryNotFoundException($"the folder of {role} '{path}' does not exist ({Path.GetDirectoryName(full)}).");
            }

            if (Directory.Exists(full) && !IsPackage(full))
            {
                throw new UsageException($"{role} '{path}' is a folder; expected a file name.", suggestHelp: false);
            }

            if (IsPackage(full) && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(Path.Combine(full, "Manifest.json")))
            {
                throw new UsageException(
                    $"{role} '{path}' is a folder that is not a Core ML package (no Manifest.json); replacing it would delete its contents. Hint: choose another output path.",
                    suggestHelp: false);
            }

            foreach (var input in ins)
            {
                var samePath = Path.GetFullPath(input.Path) == full;
                if (samePath || (file is not null && input.Id == file))
                {
                    var how = samePath ? string.Empty : " (through a link)";
                    throw new UsageException(
                        $"{role} '{path}' is the same file as {input.Role} '{input.Path}'{how}; writing it would destroy the input. Hint: choose another output path.",
                        suggestHelp: false);
                }
            }

            foreach (var other in outs)
            {
                var same = file is not null && other.File is not null
                    ? file == other.File
                    : folder == other.Folder && name == other.Name;
                if (same || other.Full == full)
                {
                    throw new UsageException(
                        $"{role} '{path}' is the same file as {other.Role} '{other.Path}'; each output needs its own path.", suggestHelp: false);
                }
            }

            outs.Add((role, path, full, file, folder, name));
        }

        return new OutputTransaction(outs.ToDictionary(o => o.Full, o => o.Role), notes);
    }

    /// <summary>Writes one declared output to its temporary sibling; the real path changes only at <see cref="Commit"/>.</summary>
    public T Write<T>(string path, Func<Stream, T> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var (folder, full) = Prepare(path);
        var (temp, stream) = TempFiles.Create(folder);
        _written.Add((temp, full));
        T result;
        using (stream)
        {
            result = write(stream);
            stream.Flush(flushToDisk: false);
        }

        return result;
    }

    /// <summary>
    /// Writes one declared package (a folder) into a temporary sibling folder: <paramref name="write"/> gets a function
    /// that creates a file at a "/"-separated path inside the package (making its folders). The real path changes only
    /// at <see cref="Commit"/>.
    /// </summary>
    public T WritePackage<T>(string path, Func<Func<string, Stream>, T> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var (folder, full) = Prepare(path);
        var temp = TempFiles.CreateDirectory(folder);
        _written.Add((temp, full));
        var streams = new List<FileStream>();
        try
        {
            return write(relative =>
            {
                var file = Path.GetFullPath(Path.Combine(temp, relative));
                if (!file.StartsWith(temp + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"'{relative}' is outside the package");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                streams.Add(stream);
                return stream;
            });
        }
        finally
        {
            foreach (var stream in streams)
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>True when <paramref name="path"/> names a Core ML package, an output that is a folder.</summary>
    public static bool IsPackage(string path) => path.TrimEnd('/', '\\').EndsWith(".mlpackage", StringComparison.OrdinalIgnoreCase);

    /// <summary>The size of a written, not yet committed output (its temporary's length, or the sum of a package's files).</summary>
    public long WrittenLength(string path)
    {
        var full = Path.GetFullPath(path);
        var (temp, _) = _written.LastOrDefault(w => w.Target == full);
        return temp is null ? throw new InvalidOperationException($"output '{path}' was not written in this transaction.")
            : Directory.Exists(temp) ? new DirectoryInfo(temp).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : new FileInfo(temp).Length;
    }

    // Checks that the output was declared, and sweeps its folder's stale temporaries once.
    private (string Folder, string Full) Prepare(string path)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var full = Path.GetFullPath(path);
        if (!_declared.ContainsKey(full))
        {
            throw new InvalidOperationException($"output '{path}' was not declared when the transaction began.");
        }

        var folder = Path.GetDirectoryName(full)!;
        if (_swept.Add(folder) && StaleTemporaries.Sweep(folder) is { Count: > 0 } removed)
        {
            _notes?.WriteLine(StaleTemporaries.Describe(removed));
        }

        return (folder, full);
    }

    /// <summary>Renames every temporary onto its output, in the order they were written.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        TempFiles.Commit(_written);
        _done = true;
    }

    /// <summary>Removes the temporaries of an uncommitted transaction.</summary>
    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            foreach (var (temp, _) in _written)
            {
                TempFiles.Delete(temp);
            }
        }
    }
}
