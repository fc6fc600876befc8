using System.CommandLine;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>Runs a command body and turns every failure into one line on stderr (or a JSON error) and a distinct exit code.</summary>
internal static class CommandRunner
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show stack traces and more detail on errors.",
        Recursive = true,
    };

    public static int Run(ParseResult parse, Func<TextWriter, int> body)
    {
        var output = parse.InvocationConfiguration.Output;
        var report = new ErrorReport(output, parse.InvocationConfiguration.Error, JsonRequested(parse), parse.GetValue(Verbose));
        try
        {
            return body(output);
        }
        catch (Yolo4ConvertException ex)
        {
            return report.Write(ex is UnsupportedFeatureException ? ExitCodes.Unsupported : ExitCodes.InvalidInput, ex.Message, ex.Location, ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return report.Write(ExitCodes.IO, $"error: {ex.Message} Hint: check the path.", PathOf(ex), ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return report.Write(ExitCodes.IO, $"error: {ex.Message}", null, ex);
        }
        catch (UsageException ex)
        {
            return report.Write(ExitCodes.Usage, ex.Line(parse.CommandResult.Command));
        }
        catch (Exception ex)
        {
            return report.Write(ExitCodes.Internal, $"internal error: {ex.GetType().Name}: {ex.Message} Hint: rerun with --verbose and report it.", null, ex);
        }
    }

    /// <summary>Whether the command that runs was given <c>--json</c>.</summary>
    public static bool JsonRequested(ParseResult parse) =>
        parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--json") is Option<bool> json && parse.GetValue(json);

    private static SourceLocation? PathOf(Exception ex) => ex is FileNotFoundException { FileName: { } file } ? new SourceLocation(file) : null;
}

/// <summary>A problem with the command line itself (exit code 1).</summary>
internal sealed class UsageException(string message, bool suggestHelp = true) : Exception(message)
{
    /// <summary>The one line printed for it, with a pointer to the command's help when that helps.</summary>
    public string Line(Command command) => suggestHelp ? $"error: {Message} See '{UsageErrors.HelpCommand(command)}'." : $"error: {Message}";
}
