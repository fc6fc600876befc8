namespace Yolo4Convert.Diagnostics;

/// <summary>
/// A folder the library reads (an ML Program package), as its caller hands it over: the name messages show (the
/// path as the user gave it), a way to open a file inside it by its "/"-separated path relative to the folder (null
/// when there is no such file), and the total size of its files. The library never opens a file by path.
/// </summary>
/// <param name="Name">The folder's name in messages and locations.</param>
/// <param name="Opener">Opens a file of the folder for reading (a seekable stream the reader disposes), or gives null.</param>
/// <param name="Bytes">The size of all its files together.</param>
public sealed record InputFolder(string Name, Func<string, Stream?> Opener, Func<long> Bytes)
{
    /// <summary>A new stream over the file at <paramref name="relative"/>, or null when the folder has none.</summary>
    public Stream? Open(string relative) => Opener(relative);

    /// <summary>How messages name a file of the folder.</summary>
    public string PathOf(string relative) => $"{Name.TrimEnd('/', '\\')}/{relative}";

    /// <summary>The name, as messages show it.</summary>
    public override string ToString() => Name;
}
