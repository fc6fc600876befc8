using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests;

/// <summary>Files and folders handed to the library as the CLI hands them: by name, opened when a reader asks.</summary>
public static class TestFiles
{
    /// <summary>The file at <paramref name="path"/>, named by that path in messages.</summary>
    public static InputFile Open(string path) => new(path, () => File.OpenRead(path));

    /// <summary>The folder (an ML Program package) at <paramref name="path"/>, named by that path in messages.</summary>
    public static InputFolder OpenFolder(string path) => new(
        path,
        relative => File.Exists(Path.Combine(path, relative)) ? File.OpenRead(Path.Combine(path, relative)) : null,
        () => new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length));
}
