namespace Yolo4Convert.Diagnostics;

/// <summary>Where in an input file something was found: a cfg line/column or a byte offset in a .weights file.</summary>
public sealed record SourceLocation(string File, int Line = 0, int Column = 0, long ByteOffset = -1)
{
    /// <summary>A location inside a text file (1-based line and column).</summary>
    public static SourceLocation Text(string file, int line, int column = 1) => new(file, line, column);

    /// <summary>A location inside a binary file.</summary>
    public static SourceLocation Bytes(string file, long offset) => new(file, ByteOffset: offset);

    /// <inheritdoc/>
    public override string ToString()
    {
        if (ByteOffset >= 0)
        {
            return $"{File}@{ByteOffset}";
        }

        return Line > 0 ? $"{File}:{Line}:{Math.Max(Column, 1)}" : File;
    }
}
