using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Reads cfg text the way Darknet's read_cfg does (src/parser.c, src/utils.c:strip, src/option_list.c:read_option):
/// every space, tab, CR and LF is removed anywhere in a line; empty lines and lines starting with '#' or ';' are
/// skipped; '[' starts a section whose name is the whole stripped line; other lines split at the first '='.
/// </summary>
public static class DarknetCfgParser
{
    /// <summary>
    /// Parses cfg text. <paramref name="fileName"/> is used in error locations only. Lines Darknet skips with
    /// "Config file error" (no '=') go to <paramref name="warnings"/>.
    /// </summary>
    public static CfgDocument Parse(string text, string fileName, WarningLog? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        CfgTextSniffer.CheckText(text, fileName);
        var sections = ImmutableArray.CreateBuilder<CfgSection>();
        string? name = null;
        SourceLocation? sectionLocation = null;
        var options = ImmutableArray.CreateBuilder<CfgOption>();
        var lineNumber = 0;

        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = Strip(rawLine);
            if (line.Length == 0 || line[0] == '#' || line[0] == ';')
            {
                continue;
            }

            var location = SourceLocation.Text(fileName, lineNumber, FirstNonBlankColumn(rawLine));
            if (line[0] == '[')
            {
                if (name is not null)
                {
                    sections.Add(new CfgSection(name, sectionLocation!, options.ToImmutable()));
                }

                name = line.EndsWith(']') ? line[1..^1] : line[1..];
                if (!line.EndsWith(']'))
                {
                    throw new DarknetFormatException(
                        $"section header '{Echo.Of(rawLine.Trim())}' is not closed; expected '[name]' alone on the line.",
                        location,
                        "Darknet keeps the whole line as the section name, so a trailing comment or a missing ']' makes the section unknown.");
                }

                sectionLocation = location;
                options.Clear();
                continue;
            }

            if (name is null)
            {
                throw new DarknetFormatException(
                    $"option '{Echo.Of(rawLine.Trim())}' appears before the first section; expected '[net]' first.",
                    location,
                    "a Darknet cfg starts with a [net] section.");
            }

            var eq = line.IndexOf('=');
            if (eq < 0)
            {
                // read_option fails and Darknet only prints "Config file error"; the line carries no option.
                warnings?.Add($"line '{Echo.Of(rawLine.Trim())}' in [{Echo.Of(name)}] has no '='; expected 'key=value'. Darknet skips it.", location,
                    "fix or remove the line; a comment starts with '#' or ';'.");
                continue;
            }

            if (eq == line.Length - 1 || eq == 0)
            {
                throw new DarknetFormatException(
                    $"option '{Echo.Of(rawLine.Trim())}' has an empty {(eq == 0 ? "key" : "value")}; expected 'key=value'.",
                    location,
                    "Darknet rejects this line ('Config file error').");
            }

            options.Add(new CfgOption(line[..eq], line[(eq + 1)..], location));
        }

        if (name is not null)
        {
            sections.Add(new CfgSection(name, sectionLocation!, options.ToImmutable()));
        }

        return new CfgDocument(fileName, sections.ToImmutable());
    }

    private static string Strip(string line)
    {
        var hasSpace = false;
        foreach (var c in line)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                hasSpace = true;
                break;
            }
        }

        return hasSpace ? string.Concat(line.Where(c => c is not (' ' or '\t' or '\r' or '\n'))) : line;
    }

    private static int FirstNonBlankColumn(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] is not (' ' or '\t'))
            {
                return i + 1;
            }
        }

        return 1;
    }
}
