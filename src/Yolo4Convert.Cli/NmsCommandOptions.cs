using System.CommandLine;
using System.Globalization;
using Yolo4Convert.CoreML.Pipeline;

namespace Yolo4Convert.Cli;

/// <summary>The convert command's --nms, --iou and --confidence options (the Vision-ready detector pipeline).</summary>
internal sealed class NmsCommandOptions
{
    private readonly Option<bool> _nms = new("--nms")
    {
        Description = "Write a Vision-ready detector: a pipeline that decodes the heads inside the model and runs per-class non-maximum suppression, so Vision returns VNRecognizedObjectObservations (spec 3, iOS 12+). Outputs 'confidence' (boxes x classes) and 'coordinates' (boxes x 4).",
    };

    private readonly Option<double?> _iou = new("--iou") { Description = "With --nms: default IoU threshold of the suppression (0..1; default 0.45). Apps can override it per request through the model's iouThreshold input." };

    private readonly Option<double?> _confidence = new("--confidence") { Description = "With --nms: default confidence threshold (0..1; default 0.25). Apps can override it per request through the model's confidenceThreshold input." };

    public IEnumerable<Option> All => [_nms, _iou, _confidence];

    /// <summary>The NMS options, or null when --nms is not given.</summary>
    public NmsOptions? Read(ParseResult parse, bool kerasOnly)
    {
        var iou = parse.GetValue(_iou);
        var confidence = parse.GetValue(_confidence);
        if (!parse.GetValue(_nms))
        {
            return iou is null && confidence is null ? null : throw new UsageException("--iou and --confidence need --nms.");
        }

        if (kerasOnly)
        {
            throw new UsageException("--nms builds a Core ML pipeline; OUTPUT must be a .mlmodel.");
        }

        if (iou is < 0 or > 1 || confidence is < 0 or > 1 || (iou is { } i && double.IsNaN(i)) || (confidence is { } c && double.IsNaN(c)))
        {
            throw new UsageException("--iou and --confidence must be between 0 and 1.");
        }

        var defaults = new NmsOptions();
        return new NmsOptions { IouThreshold = iou ?? defaults.IouThreshold, ConfidenceThreshold = confidence ?? defaults.ConfidenceThreshold };
    }

    public static string Describe(PipelineWriteResult r) =>
        $"outputs confidence[<={r.Boxes}x{r.Classes}] coordinates[<={r.Boxes}x4] after per-class NMS ({string.Format(CultureInfo.InvariantCulture, "{0} labels", r.Labels.Count)})";
}
