using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>
/// Turns a command line that does not parse into one line: what is wrong or missing, the expected form, "did you
/// mean" for a mistyped command or option, and where the help is. System.CommandLine's own renderer prints every
/// error (sometimes twice) and then the whole help on stdout; this replaces it.
/// </summary>
internal static partial class UsageErrors
{
    /// <summary>A mistyped subcommand in first position (<c>inspecct</c>), which the root would take for its CFG.</summary>
    public static string? MistypedSubcommand(RootCommand root, IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-') || File.Exists(args[0]) || Directory.Exists(args[0]))
        {
            return null;
        }

        var names = root.Subcommands.Select(c => c.Name).ToList();
        if (names.Contains(args[0]))
        {
            return null;
        }

        var guess = Closest(args[0], names);
        return guess is null ? null : $"unknown command '{Echo(args[0])}'. Did you mean '{guess}'?";
    }

    /// <summary>
    /// An argument that looks like an option (<c>inspect a.cfg --jsn</c> would take <c>--jsn</c> for the optional
    /// WEIGHTS): reported as an unknown option rather than a missing file.
    /// </summary>
    public static string? OptionLikeArgument(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        foreach (var argument in command.Arguments)
        {
            if (parse.GetResult(argument) is ArgumentResult result
                && result.Tokens.FirstOrDefault(t => (t.Value.StartsWith("--", StringComparison.Ordinal) && t.Value.Length > 2)
                    || DarknetSpellings.Describe(t.Value, OptionNames(parse)) is not null) is { } token)
            {
                return UnknownOption(parse, token.Value);
            }
        }

        return null;
    }

    /// <summary>The one-line message (without "error: ") for a parse result that has errors.</summary>
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var usage = $"Usage: {Usage(command)}.";
        if (OptionLikeArgument(parse) is { } optionLike)
        {
            return optionLike;
        }

        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-') && token.Length > 1)
            {
                return UnknownOption(parse, token);
            }

            return $"unexpected argument '{Echo(token)}'. {usage}";
        }

        foreach (var error in parse.Errors)
        {
            if (error.SymbolResult is OptionResult option)
            {
                if (option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0)
                {
                    return $"option '{option.Option.Name}' needs a value: {option.Option.Name} {ValueName(option.Option)}.";
                }

                return NotAmong(option.Option.Name, OneLine(error.Message)) ?? OneLine(error.Message);
            }

            if (error.SymbolResult is ArgumentResult argument && argument.Tokens.Count > 0)
            {
                return OneLine(error.Message);
            }
        }

        var missing = command.Arguments
            .Where(a => a.Arity.MinimumNumberOfValues > 0 && parse.GetResult(a) is not ArgumentResult { Tokens.Count: > 0 })
            .Select(a => a.Name)
            .ToList();
        if (missing.Count > 0)
        {
            var what = missing.Count == 1 ? missing[0] : $"{string.Join(", ", missing.SkipLast(1))} and {missing[^1]}";
            return $"missing {what}. {usage}";
        }

        return parse.Errors.Count > 0 ? OneLine(parse.Errors[0].Message) : $"the command line could not be read. {usage}";
    }

    /// <summary>Where the help for a command is, e.g. <c>yolo4convert detect --help</c>.</summary>
    public static string HelpCommand(Command command) => command.Parents.Any() ? $"yolo4convert {command.Name} --help" : "yolo4convert --help";

    /// <summary>The usage line of a command, e.g. <c>yolo4convert detect MODEL IMAGE [options]</c>.</summary>
    public static string Usage(Command command)
    {
        var arguments = command.Arguments.Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[{a.Name}]" : a.Name);
        var name = command.Parents.Any() ? $"yolo4convert {command.Name}" : "yolo4convert";
        return $"{name} {string.Join(" ", arguments)} [options]";
    }

    /// <summary>
    /// The candidate nearest to <paramref name="typed"/> by edit distance (a swap of two neighbouring letters counts
    /// once), if it is close enough to be a typo: at most 2 edits and fewer than half the letters.
    /// </summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(typed.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        var letters = typed.TrimStart('-').Length;
        return best is not null && bestDistance > 0 && bestDistance <= 2 && bestDistance * 2 < Math.Max(letters, 2) ? best : null;
    }

    /// <summary>Optimal string alignment distance (see <see cref="EditDistance"/>).</summary>
    public static int Distance(string a, string b) => EditDistance.Of(a, b);

    private static string UnknownOption(ParseResult parse, string token)
    {
        var names = OptionNames(parse);
        if (DarknetSpellings.Describe(token, names) is { } darknet)
        {
            return darknet;
        }

        var guess = Closest(token, names);
        var command = parse.CommandResult.Command;
        return guess is null
            ? $"unknown option '{Echo(token)}' for {Name(command)}. Usage: {Usage(command)}."
            : $"unknown option '{Echo(token)}'. Did you mean '{guess}'?";
    }

    private static List<string> OptionNames(ParseResult parse) =>
        OptionsOf(parse).SelectMany(o => o.Aliases.Append(o.Name)).Where(n => n.StartsWith('-')).Distinct().ToList();

    private static IEnumerable<Option> OptionsOf(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var inherited = parse.RootCommandResult.Command.Options.Where(o => o.Recursive);
        return command.Options.Concat(inherited);
    }

    private static string Name(Command command) => command.Parents.Any() ? $"'{command.Name}'" : "conversion";

    private static string ValueName(Option option) => option.HelpName is { } help ? help
        : option.ValueType == typeof(FileInfo) ? "FILE"
        : option.Name.TrimStart('-').ToUpperInvariant();

    // System.CommandLine's "Argument 'x' not recognized. Must be one of: 'a' 'b'" for AcceptOnlyFromAmong, reworded
    // with the option's name and the nearest allowed value.
    private static string? NotAmong(string option, string message)
    {
        var match = NotRecognized().Match(message);
        if (!match.Success)
        {
            return null;
        }

        var value = match.Groups["value"].Value;
        var allowed = Quoted().Matches(match.Groups["list"].Value).Select(m => m.Groups[1].Value).ToList();
        var guess = Closest(value, allowed);
        return $"{option} '{Echo(value)}' is not one of {string.Join(", ", allowed)}." + (guess is null ? string.Empty : $" Did you mean '{guess}'?");
    }

    [GeneratedRegex(@"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<list>.*)$")]
    private static partial Regex NotRecognized();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    /// <summary>A token from the command line as it is echoed: at most 60 characters, control characters escaped.</summary>
    public static string Echo(string token) => Diagnostics.Echo.Of(token);

    private static string OneLine(string message)
    {
        var line = Whitespace().Replace(message, " ").Trim();
        return line.EndsWith('.') || line.EndsWith('?') ? line : line + ".";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
