using System.CommandLine;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>--strict and the printing of the readers' warnings (stderr, one line each).</summary>
internal static class WarningOutput
{
    /// <summary>At most this many warning lines per run; the rest are counted.</summary>
    public const int MaxLines = 20;

    public static Option<bool> Strict() => new("--strict")
    {
        Description = "Treat warnings about the cfg and weights (unknown keys, lines without '=', NaN/Inf weights, negative batch-norm variance) as errors (exit 2).",
    };

    public static WarningLog Log(ParseResult parse, Option<bool> strict) => new() { Strict = parse.GetValue(strict) };

    /// <summary>Runs a read and prints its warnings, also when the read fails (a typo warning often explains the error).</summary>
    public static T Read<T>(ParseResult parse, WarningLog log, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        finally
        {
            Print(parse, log);
        }
    }

    private static void Print(ParseResult parse, WarningLog log)
    {
        var error = parse.InvocationConfiguration.Error;
        foreach (var warning in log.Items.Take(MaxLines))
        {
            error.WriteLine(warning.ToString());
        }

        if (log.Count > MaxLines)
        {
            error.WriteLine($"warning: {log.Count - MaxLines:N0} more warnings not shown (--strict stops at the first).");
        }
    }
}
