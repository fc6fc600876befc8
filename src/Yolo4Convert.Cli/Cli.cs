using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Yolo4Convert.Cli;

/// <summary>Builds the command tree; tests invoke it in-process.</summary>
internal static class Cli
{
    private static readonly string Description = $"""
        Convert a Darknet YOLO model (cfg + weights) to an exact Core ML model.

        Examples:
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel --nms --names coco.names --precision fp16   (for an iOS app: Vision-ready)
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel --mish native --names coco.names
          yolo4convert yolov4.cfg yolov4.weights yolov4.mlmodel --input-name input1 --output-names output1,output2,output3
          yolo4convert yolov4.cfg yolov4.weights yolov4.h5
          yolo4convert inspect yolov4.cfg yolov4.weights
          yolo4convert inspect yolov4.mlmodel
          yolo4convert detect yolov4.mlmodel dog.jpg --names coco.names --out boxes.png
          yolo4convert verify yolov4.cfg yolov4.weights yolov4.mlmodel --image dog.jpg
          yolo4convert help verify

        Exit codes: {string.Join(", ", ExitCodes.All.Select(e => $"{e.Code} {e.Meaning}"))}.

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
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(DetectCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(HelpCommand.Create());
        UseOwnHelp(root);
        return root;
    }

    // The root takes CFG WEIGHTS OUTPUT itself and has subcommands: every help is written by HelpText.
    private static void UseOwnHelp(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            help.Action = new HelpTextAction(root);
        }
    }

    private sealed class HelpTextAction(RootCommand root) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            HelpText.Write(parseResult.InvocationConfiguration.Output, parseResult.CommandResult.Command, root);
            return ExitCodes.Ok;
        }
    }
}
