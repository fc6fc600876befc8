using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Yolo4Convert.Cli;

/// <summary>Builds the command tree; tests invoke it in-process.</summary>
internal static class Cli
{
    private const string Description = """
        Convert a Darknet YOLO model (cfg + weights) to an exact Core ML model.

        Examples:
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel --mish native --names coco.names
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel --input-name input1 --output-names output1,output2,output3
          yolo4convert yolov4.cfg yolov4.weights yolov4.h5
          yolo4convert inspect yolov4.cfg yolov4.weights
          yolo4convert detect yolov4.mlmodel dog.jpg --names coco.names --out boxes.png
          yolo4convert verify yolov4.cfg yolov4.weights yolov4.mlmodel --image dog.jpg

        Exit codes: 0 ok, 1 usage, 2 invalid input (cfg/weights/image), 3 unsupported by the target,
        4 I/O error, 5 internal error, 6 verify found a difference beyond the tolerance.

        Outputs are written to a temporary beside them (.y4c-PID-N.tmp) and renamed when complete; temporaries are
        removed on failure, SIGINT and SIGTERM, and by the next run writing into that folder after a kill.
        """;

    /// <summary>
    /// Runs the command line. Errors in the command line itself are one line on stderr (a JSON error on stdout with
    /// <c>--json</c>) and exit code 1; with no arguments at all it prints one line of usage.
    /// </summary>
    public static int Invoke(string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        var json = args.TakeWhile(a => a != "--").Contains("--json");
        var report = new ErrorReport(configuration.Output, configuration.Error, json, verbose: false);
        if (args.Length == 0)
        {
            return report.Write(ExitCodes.Usage, "error: nothing to do. Usage: yolo4convert CFG WEIGHTS OUTPUT [options], or yolo4convert inspect|detect|verify ...; see 'yolo4convert --help'.");
        }

        var root = Build();
        if (UsageErrors.MistypedSubcommand(root, args) is { } typo)
        {
            return report.Write(ExitCodes.Usage, $"error: {typo} See 'yolo4convert --help'.");
        }

        var parse = root.Parse(args);
        var help = UsageErrors.HelpCommand(parse.CommandResult.Command);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            return report.Write(ExitCodes.Usage, $"error: {UsageErrors.Describe(parse)} See '{help}'.");
        }

        if (parse.Action == parse.CommandResult.Command.Action && UsageErrors.OptionLikeArgument(parse) is { } option)
        {
            return report.Write(ExitCodes.Usage, $"error: {option} See '{help}'.");
        }

        return parse.Invoke(configuration);
    }

    public static RootCommand Build()
    {
        var root = new RootCommand(Description);
        root.Options.Add(CommandRunner.Verbose);
        ConvertCommand.Configure(root);
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(DetectCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        UseSubcommandUsage(root);
        return root;
    }

    // The root takes CFG WEIGHTS OUTPUT itself; a subcommand's help must not list those as its own.
    private static void UseSubcommandUsage(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction fallback)
            {
                help.Action = new SubcommandHelpAction(root, fallback);
            }
        }
    }

    private sealed class SubcommandHelpAction(RootCommand root, HelpAction fallback) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var command = parseResult.CommandResult.Command;
            if (command == root)
            {
                return fallback.Invoke(parseResult);
            }

            var o = parseResult.InvocationConfiguration.Output;
            o.WriteLine("Description:");
            o.WriteLine($"  {command.Description}");
            o.WriteLine();
            o.WriteLine("Usage:");
            var arguments = command.Arguments.Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[<{a.Name}>]" : $"<{a.Name}>");
            o.WriteLine($"  yolo4convert {command.Name} {string.Join(" ", arguments)} [options]");
            o.WriteLine();
            Rows(o, "Arguments:", command.Arguments.Select(a => ($"<{a.Name}>", a.Description ?? string.Empty)));
            var options = command.Options.Concat(root.Options.Where(opt => opt.Recursive));
            Rows(o, "Options:", options.Append(new HelpOption()).Where(opt => opt is not HelpOption || opt.Aliases.Count > 0).DistinctBy(opt => opt.Name).Select(opt => (
                string.Join(", ", opt.Aliases.Where(a => a.StartsWith('-')).Order().Append(opt.Name))
                    + (opt.Arity.MaximumNumberOfValues == 0 || opt.ValueType == typeof(bool) ? string.Empty : $" <{opt.HelpName ?? opt.Name.TrimStart('-')}>"),
                (opt.Description ?? string.Empty) + (opt.HasDefaultValue && opt.ValueType != typeof(bool) ? $" [default: {opt.GetDefaultValue()}]" : string.Empty))));
            return 0;
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
}
