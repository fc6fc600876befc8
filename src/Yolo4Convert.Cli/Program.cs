using System.CommandLine;
using Yolo4Convert.Cli;

return Cli.Build().Parse(args).Invoke();
