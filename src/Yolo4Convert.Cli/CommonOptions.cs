using System.CommandLine;
using System.Globalization;

namespace Yolo4Convert.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<bool> JsonOutput() => new("--json") { Description = "Print the result as JSON (for scripts) instead of text." };

    public static Option<string?> Size() => new("--size")
    {
        Description = "Override the cfg's input size, as WIDTHxHEIGHT (e.g. 416x416). Both must be multiples of the network's stride.",
        HelpName = "WxH",
    };

    public static (int? Width, int? Height) ParseSize(string? text)
    {
        if (text is null)
        {
            return (null, null);
        }

        var parts = text.Split('x', 'X');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            && w > 0 && h > 0)
        {
            return (w, h);
        }

        throw new UsageException($"--size '{text}' is not WIDTHxHEIGHT, e.g. 416x416.");
    }

    public static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    public static string F(double v, string format = "0.000") => v.ToString(format, CultureInfo.InvariantCulture);
}
