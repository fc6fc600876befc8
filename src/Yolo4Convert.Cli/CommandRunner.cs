using System.CommandLine;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Cli;

/// <summary>Runs a command body and turns every failure into one line on stderr and a distinct exit code.</summary>
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
        var error = parse.InvocationConfiguration.Error;
        var verbose = parse.GetValue(Verbose);
        try
        {
            return body(output);
        }
        catch (Yolo4ConvertException ex)
        {
            error.WriteLine(ex.Message);
            WriteStack(error, ex, verbose);
            return ex is UnsupportedFeatureException ? ExitCodes.Unsupported : ExitCodes.InvalidInput;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            error.WriteLine($"error: {ex.Message} Hint: check the path.");
            WriteStack(error, ex, verbose);
            return ExitCodes.IO;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {ex.Message}");
            WriteStack(error, ex, verbose);
            return ExitCodes.IO;
        }
        catch (UsageException ex)
        {
            error.WriteLine($"error: {ex.Message} See 'yolo4convert --help'.");
            return ExitCodes.Usage;
        }
        catch (Exception ex)
        {
            error.WriteLine($"internal error: {ex.GetType().Name}: {ex.Message} Hint: rerun with --verbose and report it.");
            WriteStack(error, ex, verbose);
            return ExitCodes.Internal;
        }
    }

    private static void WriteStack(TextWriter error, Exception ex, bool verbose)
    {
        if (verbose)
        {
            error.WriteLine(ex.ToString());
        }
    }
}

/// <summary>A problem with the command line itself (exit code 1).</summary>
internal sealed class UsageException(string message) : Exception(message);
