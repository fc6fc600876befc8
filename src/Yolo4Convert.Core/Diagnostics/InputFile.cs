namespace Yolo4Convert.Diagnostics;

/// <summary>
/// A file the library reads, as its caller hands it over: the name messages show (the path as the user gave it)
/// and a way to open it. The library never opens a file by path; the caller (the CLI) decides how.
/// </summary>
/// <param name="Name">The file's name in messages and locations.</param>
/// <param name="Opener">Opens the file for reading from its start: a seekable stream the reader disposes.</param>
public sealed record InputFile(string Name, Func<Stream> Opener)
{
    /// <summary>A new stream over the file, at its start.</summary>
    public Stream Open() => Opener();

    /// <summary>The name, as messages show it.</summary>
    public override string ToString() => Name;
}
