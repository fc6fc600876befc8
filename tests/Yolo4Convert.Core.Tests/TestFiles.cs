using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests;

/// <summary>Files handed to the library's readers the way the CLI hands them over: named by their path, opened when read.</summary>
public static class TestFiles
{
    /// <summary>The file at <paramref name="path"/>, named by that path in messages.</summary>
    public static InputFile Open(string path) => new(path, () => File.OpenRead(path));
}
