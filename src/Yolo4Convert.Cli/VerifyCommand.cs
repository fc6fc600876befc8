using System.CommandLine;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Cli;

/// <summary>`verify CFG WEIGHTS MODEL`: compares the converted model with a direct Darknet-semantics forward pass.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var options = new VerifyOptions();
        var command = new Command("verify", "Run the model with the built-in Core ML runtime and an independent Darknet-semantics forward pass of CFG + WEIGHTS; report per head the largest absolute and relative difference, and whether the model finds every detection the reference finds (same class, IoU, after NMS). Exits 6 when a detection is missing or, for fp32 and fp16 weights, a head differs by more than --tolerance; for quantized weights the head error is informative and the detections decide.");
        foreach (var argument in options.Arguments)
        {
            command.Arguments.Add(argument);
        }

        foreach (var option in options.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommandRunner.Run(parse, stdout => new Verification(options, parse).Run(stdout)));
        return command;
    }

    // JSON has no NaN or infinity: a broken head's boxes report null there.
    internal static double? Finite(double v) => double.IsFinite(v) ? v : null;

    // A fixed, image-like test pattern (0..255) so runs are repeatable without an image file.
    internal static Tensor Pattern(int channels, int height, int width)
    {
        var t = new Tensor(new TensorShape(channels, height, width));
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = 127.5 + (90 * Math.Sin((x * (0.05 + (0.02 * c))) + (y * 0.03))) + (30 * Math.Cos((x * y * 0.001) + c));
                    t.Data[(((c * height) + y) * width) + x] = (float)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }

        return t;
    }
}
