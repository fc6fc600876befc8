using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.Runtime.CompilerServices;

namespace Yolo4Convert.Cli;

/// <summary>
/// The help of the root and of each command, written here rather than by System.CommandLine's renderer: the root
/// both takes CFG WEIGHTS OUTPUT and has subcommands, optional arguments show as optional (<c>[&lt;WEIGHTS&gt;]</c>),
/// and a default that depends on the input is given in words.
/// </summary>
internal static class HelpText
{
    private static readonly ConditionalWeakTable<Option, string> DefaultWords = [];

    /// <summary>Shows <paramref name="words"/> as the option's default in the help instead of its placeholder value.</summary>
    public static T WithDefaultInWords<T>(T option, string words)
        where T : Option
    {
        DefaultWords.AddOrUpdate(option, words);
        return option;
    }

    /// <summary>The arguments of a command as its usage shows them: <c>&lt;CFG&gt; [&lt;WEIGHTS&gt;]</c>.</summary>
    public static string Arguments(Command command) =>
        string.Join(" ", command.Arguments.Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[<{a.Name}>]" : $"<{a.Name}>"));

    /// <summary>Writes the help of <paramref name="command"/>, a subcommand of <paramref name="root"/> or the root itself.</summary>
    public static void Write(TextWriter o, Command command, RootCommand root)
    {
        var isRoot = command == root;
        o.WriteLine("Description:");
        foreach (var line in (command.Description ?? string.Empty).ReplaceLineEndings("\n").TrimEnd().Split('\n'))
        {
            o.WriteLine(line.Length == 0 ? string.Empty : $"  {line}");
        }

        o.WriteLine();
        o.WriteLine("Usage:");
        if (isRoot)
        {
            var convert = root.Subcommands.FirstOrDefault(c => c.Name == ConvertCommand.Name);
            o.WriteLine($"  yolo4convert {(convert is null ? string.Empty : $"[{convert.Name}] ")}{Arguments(root)} [options]");
            o.WriteLine("  yolo4convert <command> [arguments] [options]");
        }
        else
        {
            o.WriteLine($"  yolo4convert {command.Name} {Arguments(command)} [options]".Replace("  [options]", " [options]", StringComparison.Ordinal));
        }

        o.WriteLine();
        Rows(o, "Arguments:", command.Arguments.Select(a => ($"<{a.Name}>", a.Description ?? string.Empty)));
        var options = command.Options.Concat(root.Options.Where(opt => opt.Recursive)).Append(new HelpOption())
            .Where(opt => opt is not HelpOption || opt.Aliases.Count > 0)
            .Where(opt => isRoot || opt is not VersionOption)
            .DistinctBy(opt => opt.Name)
            .OrderBy(opt => opt is HelpOption or VersionOption);
        Rows(o, "Options:", options.Select(opt => (Left(opt), Right(opt))));
        if (isRoot)
        {
            Rows(o, "Commands:", root.Subcommands.Where(c => !c.Hidden).Select(c => ($"{c.Name} {Arguments(c)}".TrimEnd(), c.Description ?? string.Empty)));
        }
    }

    private static string Left(Option opt)
    {
        var names = string.Join(", ", opt.Aliases.Where(a => a.StartsWith('-')).Order(StringComparer.Ordinal).Append(opt.Name));
        if (opt.Arity.MaximumNumberOfValues == 0 || opt.ValueType == typeof(bool))
        {
            return names;
        }

        var choices = opt.ValueType == typeof(string)
            ? opt.GetCompletions(CompletionContext.Empty).Select(c => c.Label).Order(StringComparer.Ordinal).ToList()
            : [];
        return $"{names} <{(choices.Count > 0 ? string.Join("|", choices) : opt.HelpName ?? opt.Name.TrimStart('-'))}>";
    }

    private static string Right(Option opt)
    {
        var text = opt.Description ?? string.Empty;
        if (DefaultWords.TryGetValue(opt, out var words))
        {
            return $"{text} [default: {words}]";
        }

        return opt.HasDefaultValue && opt.ValueType != typeof(bool) ? $"{text} [default: {opt.GetDefaultValue()}]" : text;
    }

    private static void Rows(TextWriter o, string title, IEnumerable<(string Left, string Right)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return;
        }

        var width = list.Max(r => r.Left.Length) + 2;
        o.WriteLine(title);
        foreach (var (left, right) in list)
        {
            o.WriteLine($"  {left.PadRight(width)}{right}");
        }

        o.WriteLine();
    }
}
