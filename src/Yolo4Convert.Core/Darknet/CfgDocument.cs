using System.Collections.Immutable;
using System.Globalization;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Darknet;

/// <summary>One `key=value` line of a cfg section, after Darknet's whitespace stripping.</summary>
public sealed record CfgOption(string Key, string Value, SourceLocation Location);

/// <summary>One `[name]` section and its options, in file order.</summary>
public sealed record CfgSection(string Name, SourceLocation Location, ImmutableArray<CfgOption> Options)
{
    /// <summary>Darknet's option_find: the first occurrence of a key wins (src/option_list.c).</summary>
    public CfgOption? Find(string key) => Options.FirstOrDefault(o => o.Key == key);

    /// <summary>An integer as C's atoi reads it: leading sign and digits, anything after ignored.</summary>
    public int GetInt(string key, int fallback) => Find(key) is { } o ? Atoi(o.Value) : fallback;

    /// <summary>A float as C's atof reads it.</summary>
    public float GetFloat(string key, float fallback) => Find(key) is { } o ? Atof(o.Value) : fallback;

    /// <summary>A string value, or the fallback when absent.</summary>
    public string GetString(string key, string fallback) => Find(key)?.Value ?? fallback;

    /// <summary>C atoi: the longest numeric prefix, 0 when there is none.</summary>
    public static int Atoi(string text)
    {
        var end = NumericPrefix(text, allowFraction: false);
        return end == 0 || !long.TryParse(text.AsSpan(0, end), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? 0
            : (int)Math.Clamp(v, int.MinValue, int.MaxValue);
    }

    /// <summary>C atof: the longest numeric prefix (with fraction and exponent), 0 when there is none.</summary>
    public static float Atof(string text)
    {
        var end = NumericPrefix(text, allowFraction: true);
        return end == 0 || !double.TryParse(text.AsSpan(0, end), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? 0f
            : (float)v;
    }

    private static int NumericPrefix(string s, bool allowFraction)
    {
        var i = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            i++;
        }

        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digits++;
        }

        if (allowFraction && i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return 0;
        }

        if (allowFraction && i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            var j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-'))
            {
                j++;
            }

            var expStart = j;
            while (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                j++;
            }

            if (j > expStart)
            {
                i = j;
            }
        }

        return i;
    }
}

/// <summary>A parsed cfg file: sections with located options, no meaning attached yet.</summary>
public sealed record CfgDocument(string FileName, ImmutableArray<CfgSection> Sections);
