using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Yolo4Convert.Cli;

/// <summary>Options shared by several commands, and the checks their values get while the command line is parsed.</summary>
internal static class CommonOptions
{
    /// <summary>The largest input side <c>--size</c> accepts: keeps every tensor size of a YOLO net far inside int range.</summary>
    public const int MaxSide = 4096;

    /// <summary>What every side of <c>--size</c> must be a multiple of: the largest stride of the YOLO family.</summary>
    public const int SizeStep = 32;

    public static Option<bool> JsonOutput() => new("--json") { Description = "Print the result as JSON (for scripts) instead of text; errors become a JSON object on stdout too." };

    public static Option<string?> Size()
    {
        var option = new Option<string?>("--size")
        {
            Description = $"Override the cfg's input size, as WIDTHxHEIGHT (e.g. 416x416). Each side a multiple of {SizeStep}, at most {MaxSide}.",
            HelpName = "WxH",
        };
        option.Validators.Add(result =>
        {
            try
            {
                ParseSize(result.GetValueOrDefault<string?>());
            }
            catch (UsageException ex)
            {
                result.AddError(ex.Message);
            }
        });
        return option;
    }

    public static (int? Width, int? Height) ParseSize(string? text)
    {
        if (text is null)
        {
            return (null, null);
        }

        var parts = text.Split('x', 'X');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h))
        {
            throw new UsageException($"--size '{Cut(text)}' is not WIDTHxHEIGHT, e.g. 416x416.");
        }

        if (w < SizeStep || h < SizeStep || w > MaxSide || h > MaxSide || w % SizeStep != 0 || h % SizeStep != 0)
        {
            throw new UsageException($"--size {w}x{h}: each side must be a multiple of {SizeStep} from {SizeStep} to {MaxSide}, e.g. 416x416.");
        }

        return (w, h);
    }

    /// <summary>
    /// A real-valued option that accepts only finite numbers in a range (NaN and infinities are refused while the
    /// command line is parsed, so they never reach the computation).
    /// </summary>
    public static Option<T> Number<T>(string name, T defaultValue, double min, double max, bool minInclusive, bool maxInclusive, string description, string example)
        where T : struct, IFloatingPoint<T>
    {
        var range = $"{(minInclusive ? "from" : "greater than")} {Text(min)} {(maxInclusive ? "to" : "and less than")} {Text(max)}";
        return new Option<T>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return defaultValue;
                }

                var text = result.Tokens[0].Value;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value)
                    || (minInclusive ? value < min : value <= min) || (maxInclusive ? value > max : value >= max))
                {
                    result.AddError($"{name} '{Cut(text)}' is not a number {range} (e.g. {name} {example}).");
                    return defaultValue;
                }

                return T.CreateChecked(value);
            },
        };
    }

    /// <summary>A whole-number option limited to a range.</summary>
    public static Option<int> Count(string name, int defaultValue, int min, int max, string description)
    {
        return new Option<int>(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return defaultValue;
                }

                var text = result.Tokens[0].Value;
                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                {
                    result.AddError($"{name} '{Cut(text)}' is not a whole number from {Text(min)} to {Text(max)} (e.g. {name} {defaultValue}).");
                    return defaultValue;
                }

                return value;
            },
        };
    }

    public static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    public static string F(double v, string format = "0.000") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Text(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Cut(string text) => UsageErrors.Echo(text);
}
