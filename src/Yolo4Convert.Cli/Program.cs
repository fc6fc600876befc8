using Yolo4Convert.Cli;

return Cli.Invoke(args);
