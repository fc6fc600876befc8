using System.Globalization;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Refuses, before parsing, what cannot be a cfg: binary data (most often the .weights passed where the cfg goes)
/// and files far larger than any Darknet cfg (the largest real ones are tens of KB).
/// </summary>
internal static class CfgTextSniffer
{
    /// <summary>Largest cfg accepted: 4 MiB, about a hundred times the deepest published network.</summary>
    public const long MaxBytes = 4L << 20;

    private const int Window = 8192;

    /// <summary>Checks the start and the length of a cfg file.</summary>
    public static void CheckFile(Stream stream, string fileName)
    {
        var buffer = new byte[(int)Math.Min(Window, stream.Length)];
        stream.ReadExactly(buffer);
        var binary = FirstBinary(buffer.Length, i => buffer[i]);
        if (binary >= 0 && Inspection.ModelFileSniffer.Of(buffer, stream.Length) is Inspection.ModelFileKind.CoreMLModel or Inspection.ModelFileKind.Hdf5)
        {
            throw new DarknetFormatException(
                $"this is a model file ({stream.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes), not a Darknet .cfg text.",
                SourceLocation.Bytes(fileName, 0), "a model is what yolo4convert writes; to see what it holds: yolo4convert inspect MODEL.");
        }

        if (binary >= 0)
        {
            throw Binary(SourceLocation.Bytes(fileName, binary), stream.Length);
        }

        if (stream.Length > MaxBytes)
        {
            throw new DarknetFormatException(
                $"the cfg is {stream.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes; expected a Darknet .cfg text of at most {MaxBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes.",
                SourceLocation.Bytes(fileName, MaxBytes), "a cfg is a short text file (yolov4.cfg is 12 KB); is this the right file?");
        }
    }

    /// <summary>Checks cfg text already in memory; the location is the line and column of the first binary character.</summary>
    public static void CheckText(string text, string fileName)
    {
        var binary = FirstBinary(Math.Min(text.Length, Window), i => text[i]);
        if (binary < 0)
        {
            return;
        }

        var line = 1 + text.AsSpan(0, binary).Count('\n');
        var lineStart = binary == 0 ? 0 : text.LastIndexOf('\n', binary - 1) + 1;
        throw Binary(SourceLocation.Text(fileName, line, binary - lineStart + 1), text.Length);
    }

    /// <summary>Whether the start of a file is binary data rather than text (the rule <see cref="CheckFile"/> applies).</summary>
    public static bool IsBinary(byte[] head) => FirstBinary(Math.Min(head.Length, Window), i => head[i]) >= 0;

    // A NUL anywhere in the window, or more than 1 in 10 characters that are control codes other than tab, CR, LF, FF.
    private static int FirstBinary(int length, Func<int, int> at)
    {
        var controls = 0;
        var first = -1;
        for (var i = 0; i < length; i++)
        {
            var c = at(i);
            if (c == 0)
            {
                return i;
            }

            if (c < 0x20 && c is not ('\t' or '\r' or '\n' or '\f'))
            {
                controls++;
                first = first < 0 ? i : first;
            }
        }

        return controls * 10 > length ? first : -1;
    }

    private static DarknetFormatException Binary(SourceLocation location, long length) => new(
        $"this looks like a binary file (a .weights?) of {length.ToString("N0", CultureInfo.InvariantCulture)} bytes; expected a Darknet .cfg text.",
        location, "did you swap CFG and WEIGHTS? The cfg comes first: yolo4convert CFG WEIGHTS OUTPUT.");
}
