using System.CommandLine;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Cli;

/// <summary>The arguments and options of `verify`.</summary>
internal sealed class VerifyOptions
{
    public VerifyOptions()
    {
        Precision.AcceptOnlyFromAmong([.. WeightFormat.Floats.Select(f => f.Name)]);
    }

    public Argument<FileInfo> Cfg { get; } = new("CFG") { Description = "The Darknet .cfg the model was converted from." };

    public Argument<FileInfo> Weights { get; } = new("WEIGHTS") { Description = "The Darknet .weights the model was converted from." };

    public Argument<FileInfo> Model { get; } = new("MODEL") { Description = "The .mlmodel or .mlpackage to check." };

    public Option<FileInfo?> Image { get; } = new("--image") { Description = "Image to run both on (stretched to the input size); default: a fixed synthetic pattern." };

    // 0 (not accepted on the command line) stands for "the default of the stored weights and precision".
    public Option<double> Tolerance { get; } = HelpText.WithDefaultInWords(
        CommonOptions.Number("--tolerance", 0.0, 0, 1, false, false,
            "Largest allowed |model − reference| per head, relative to the head's largest magnitude. For quantized weights the head error is informative and every reference detection must be found; giving --tolerance makes it a verdict again.", "1e-4"),
        VerifyFormat.InWords(f => $"{VerifyFormat.Number(f.Tolerance)} for {f.Name}{(f.HeadErrorDecides ? string.Empty : " (informative)")}"));

    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "'fp32' (default) runs the model in float32; 'fp16' also runs it with every layer's output, the input and the weights rounded to half precision, as the GPU and the Neural Engine do, and checks that run.",
        DefaultValueFactory = _ => WeightFormat.Fp32.Name,
    };

    public Option<float> Threshold { get; } = CommonOptions.Number("--threshold", 0.5f, 0, 1, false, false,
        "Class probability above which a reference detection must also be found by the model (the model's own threshold is 0.1 lower).", "0.5");

    public Option<float> MinIou { get; } = HelpText.WithDefaultInWords(
        CommonOptions.Number("--min-iou", 0f, 0, 1, false, true, "Smallest IoU of a model box with the reference box of the same class to count as found.", "0.9"),
        VerifyFormat.InWords(f => $"{VerifyFormat.Number(f.MinIou)} for {f.Name}"));

    public Option<FileInfo?> Names { get; } = new("--names") { Description = "Class names file, for the messages; defaults to the names stored in the model, else class numbers." };

    public Option<bool> Layers { get; } = new("--layers")
    {
        Description = "Also compare after every Darknet layer the model computes (the model's value named after the layer, after its activation): one row per layer with its cfg line, shape and errors, and the first layer beyond the tolerance. The model and the reference run side by side.",
    };

    public Option<bool> Json { get; } = CommonOptions.JsonOutput();

    public Option<bool> Strict { get; } = WarningOutput.Strict();

    public IEnumerable<Argument> Arguments => [Cfg, Weights, Model];

    public IEnumerable<Option> Options => [Image, Tolerance, Precision, Threshold, MinIou, Names, Layers, Json, Strict];
}
