using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>
/// Checks a command's input files before any work: a missing one is named by its role and by the path as the user
/// gave it ("CFG 'nope.cfg' does not exist"), not by .NET's absolute-path message; exit code 4 (I/O) like every
/// file that cannot be read.
/// </summary>
internal static class InputFiles
{
    /// <summary>
    /// Throws <see cref="FileNotFoundException"/> for the first input (role, path; null paths skipped) that is no file;
    /// a MODEL may also be an .mlpackage directory (one with a Manifest.json).
    /// </summary>
    public static void Require(params (string Role, string? Path)[] inputs)
    {
        foreach (var (role, path) in inputs)
        {
            if (path is null || File.Exists(path) || (role is "MODEL" or "CFG|MODEL" && IsPackage(path)))
            {
                continue;
            }

            var echo = Quote(path);
            var message = Directory.Exists(path)
                ? $"{role} '{echo}' is a directory, not a file."
                : $"{role} '{echo}' does not exist.";
            throw new FileNotFoundException(message, path);
        }
    }

    /// <summary>
    /// The file at <paramref name="path"/> as the library reads it: named in messages by the path as the user gave
    /// it, opened (shared for reading, read front to back) only when a reader asks.
    /// </summary>
    public static InputFile Open(string path) =>
        new(path, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));

    /// <summary>Whether <paramref name="path"/> is an ML Program package: a folder with a Manifest.json.</summary>
    public static bool IsPackage(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, "Manifest.json"));

    /// <summary>
    /// The package folder at <paramref name="path"/> as the library reads it: named by the path as the user gave it;
    /// a file inside is opened (shared for reading) only when a reader asks, and only if it stays inside the folder.
    /// </summary>
    public static InputFolder OpenFolder(string path)
    {
        var root = Path.GetFullPath(path);
        return new InputFolder(
            path,
            relative =>
            {
                var full = Path.GetFullPath(Path.Combine(root, relative));
                return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full)
                    ? new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16)
                    : null;
            },
            () => new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length));
    }

    /// <summary>The file <paramref name="file"/> names, as the user gave it (see <see cref="Open(string)"/>).</summary>
    public static InputFile Open(FileInfo file) => Open(file.ToString());

    // A path is quoted whole (control characters escaped): cut, it would not name the file.
    private static string Quote(string path) => Echo.Of(path, 1000);

    /// <summary>
    /// Refuses an output path that names a folder (an existing one, or one ending in a separator) with the file name
    /// it should have, e.g. "OUTPUT 'outdir/' is a directory; give a file name such as outdir/model.mlmodel".
    /// </summary>
    public static void RefuseFolder(string role, string path, string exampleName)
    {
        var endsInSeparator = path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar);
        if (endsInSeparator || Directory.Exists(path))
        {
            var example = endsInSeparator ? path + exampleName : $"{path}{Path.DirectorySeparatorChar}{exampleName}";
            throw new UsageException($"{role} '{Quote(path)}' is a directory; give a file name such as {Quote(example)}.", suggestHelp: false);
        }
    }
}
