using Yolo4Convert.Cli;

TempFiles.HandleSignals();
return Cli.Invoke(args);
