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

    // How many of a log's warnings were printed: a command may read (and print) in several steps.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WarningLog, System.Runtime.CompilerServices.StrongBox<long>> Printed = [];

    /// <summary>
    /// Runs a read and prints the warnings it added, also when the read fails (a typo warning often explains the
    /// error). Weights are read while the model is written, so a write is a read too.
    /// </summary>
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

    /// <summary>
    /// The <c>warnings</c> array of a --json result: each of the log's kept warnings as an object with its message
    /// and, as the warning has them, hint, file, line, column and byte offset; then <paramref name="others"/> (the
    /// command's own warnings, message only), and a last entry counting warnings the log did not keep.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, object>> Json(WarningLog? log, params string[] others)
    {
        var list = new List<IReadOnlyDictionary<string, object>>();
        foreach (var warning in log?.Items ?? [])
        {
            var item = new Dictionary<string, object> { ["message"] = warning.Message };
            if (warning.Hint is { } hint)
            {
                item["hint"] = hint;
            }

            if (warning.Location is { } at)
            {
                item["file"] = at.File;
                if (at.Line > 0)
                {
                    item["line"] = at.Line;
                    item["column"] = Math.Max(at.Column, 1);
                }

                if (at.ByteOffset >= 0)
                {
                    item["offset"] = at.ByteOffset;
                }
            }

            list.Add(item);
        }

        list.AddRange(others.Select(m => new Dictionary<string, object> { ["message"] = m }));
        if (log is not null && log.Count > log.Items.Count)
        {
            list.Add(new Dictionary<string, object> { ["message"] = $"{log.Count - log.Items.Count:N0} more warnings not kept (--strict stops at the first)." });
        }

        return list;
    }

    private static void Print(ParseResult parse, WarningLog log)
    {
        var error = parse.InvocationConfiguration.Error;
        var printed = Printed.GetOrCreateValue(log);
        var hidden = Math.Max(0, printed.Value - MaxLines);
        var shown = (int)Math.Min(printed.Value, MaxLines);
        foreach (var warning in log.Items.Skip(shown).Take(MaxLines - shown))
        {
            error.WriteLine(warning.ToString());
        }

        var total = log.Count;
        if (total > MaxLines && total - MaxLines > hidden)
        {
            error.WriteLine($"warning: {total - MaxLines - hidden:N0} more warnings not shown (--strict stops at the first).");
        }

        printed.Value = total;
    }
}
