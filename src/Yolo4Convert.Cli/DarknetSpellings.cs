namespace Yolo4Convert.Cli;

/// <summary>
/// Darknet's own single-dash flags (<c>./darknet detector test … -thresh 0.25 -ext_output -dont_show</c>), met on
/// a yolo4convert command line: what to write instead, or why the flag is not needed.
/// </summary>
internal static class DarknetSpellings
{
    // Darknet flag → (our option, or null) and, when there is no option, why none is needed.
    private static readonly Dictionary<string, (string? Option, string? NotNeeded)> Known = new(StringComparer.Ordinal)
    {
        ["-thresh"] = ("--threshold", null),
        ["-iou_thresh"] = ("--iou", null),
        ["-out_filename"] = ("--out", null),
        ["-ext_output"] = (null, "detect prints every box with its coordinates"),
        ["-dont_show"] = (null, "yolo4convert never opens a window"),
        ["-i"] = (null, "yolo4convert runs on the CPU, there is no GPU to pick"),
        ["-gpus"] = (null, "yolo4convert runs on the CPU, there is no GPU to pick"),
    };

    /// <summary>
    /// The message for a single-dash <paramref name="token"/>, or null if it is no Darknet flag and no long option
    /// of <paramref name="options"/> with one dash. Darknet's name wins only when the command has its counterpart.
    /// </summary>
    public static string? Describe(string token, IReadOnlyCollection<string> options)
    {
        if (token.Length < 2 || token[0] != '-' || token[1] == '-')
        {
            return null;
        }

        var echo = UsageErrors.Echo(token);
        if (Known.TryGetValue(token, out var known))
        {
            if (known.NotNeeded is { } why)
            {
                return $"'{echo}' is a Darknet flag, not needed here: {why}.";
            }

            if (options.Contains(known.Option!))
            {
                return $"unknown option '{echo}' (Darknet's spelling). Did you mean '{known.Option}'?";
            }
        }

        var doubled = "-" + token;
        return options.Contains(doubled) ? $"unknown option '{echo}'. Did you mean '{doubled}'?" : null;
    }
}
