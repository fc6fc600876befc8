using System.Globalization;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>A class names file (one name per line, e.g. coco.names), checked against the model's class count.</summary>
internal static class ClassNames
{
    /// <summary>
    /// Reads the names and requires exactly <paramref name="classes"/> of them: with fewer, detections of the last
    /// classes would have no name; with more, the file belongs to another model.
    /// </summary>
    public static IReadOnlyList<string> Read(FileInfo file, int classes, string owner)
    {
        var names = File.ReadAllLines(file.FullName).Select(l => l.Trim()).ToList();
        while (names.Count > 0 && names[^1].Length == 0)
        {
            names.RemoveAt(names.Count - 1);
        }

        var blank = names.FindIndex(n => n.Length == 0);
        if (blank >= 0)
        {
            throw new NamesFormatException("the names file has an empty line; expected one class name per line.",
                SourceLocation.Text(file.ToString(), blank + 1));
        }

        if (classes > 0 && names.Count != classes)
        {
            var line = Math.Min(names.Count, classes) + 1;
            throw new NamesFormatException(
                string.Create(CultureInfo.InvariantCulture, $"the names file lists {names.Count} names; {owner} have {classes} classes."),
                names.Count > classes ? SourceLocation.Text(file.ToString(), line) : new SourceLocation(file.ToString()),
                "pass the names file the model was trained with (one name per line).");
        }

        return names;
    }
}
