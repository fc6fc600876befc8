using System.CommandLine;

namespace Yolo4Convert.Cli;

/// <summary>`help [COMMAND]`: the root's help, or one command's, as <c>--help</c> prints it.</summary>
internal static class HelpCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("COMMAND") { Description = "The command to describe; without it, the overview.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("help", "Show the help of yolo4convert, or of one command (e.g. yolo4convert help verify).") { name };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var root = (RootCommand)parse.RootCommandResult.Command;
            var wanted = parse.GetValue(name);
            var target = wanted is null ? root : root.Subcommands.FirstOrDefault(c => c.Name == wanted);
            if (target is null)
            {
                var guess = UsageErrors.Closest(wanted!, root.Subcommands.Select(c => c.Name));
                throw new UsageException(
                    $"unknown command '{UsageErrors.Echo(wanted!)}'. {(guess is null ? $"Commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))}." : $"Did you mean '{guess}'?")} See 'yolo4convert --help'.",
                    suggestHelp: false);
            }

            HelpText.Write(stdout, target, root);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
