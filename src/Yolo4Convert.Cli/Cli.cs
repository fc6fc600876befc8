using System.CommandLine;

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
          yolo4convert inspect yolov4.cfg yolov4.weights
          yolo4convert detect yolov4.mlmodel dog.jpg --names coco.names --out boxes.png
          yolo4convert verify yolov4.cfg yolov4.weights yolov4.mlmodel --image dog.jpg

        Exit codes: 0 ok, 1 usage, 2 invalid input (cfg/weights/image), 3 unsupported by the target,
        4 I/O error, 5 internal error, 6 verify found a difference beyond the tolerance.
        """;

    public static RootCommand Build()
    {
        var root = new RootCommand(Description);
        root.Options.Add(CommandRunner.Verbose);
        ConvertCommand.Configure(root);
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(DetectCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        return root;
    }
}
