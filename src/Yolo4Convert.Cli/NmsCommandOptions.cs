using System.CommandLine;
using System.Globalization;
using Yolo4Convert.CoreML.Pipeline;

namespace Yolo4Convert.Cli;

/// <summary>The convert command's --nms, --iou and --confidence options (the Vision-ready detector pipeline).</summary>
internal sealed class NmsCommandOptions
{
    private static readonly NmsOptions Defaults = new();

    private readonly Option<bool> _nms = new("--nms")
    {
        Description = "Write a Vision-ready detector: a pipeline that decodes the heads inside the model and runs per-class non-maximum suppression, so Vision returns VNRecognizedObjectObservations (.mlmodel: spec 3, iOS 12+; .mlpackage: an ML Program pipeline, iOS 15+). Outputs 'confidence' (boxes x classes) and 'coordinates' (boxes x 4).",
    };

    private readonly Option<double> _iou = CommonOptions.Number("--iou", Defaults.IouThreshold, 0, 1, true, true,
        "With --nms: default IoU threshold of the suppression. Apps can override it per request through the model's iouThreshold input.", "0.45");

    private readonly Option<double> _confidence = CommonOptions.Number("--confidence", Defaults.ConfidenceThreshold, 0, 1, true, true,
        "With --nms: default confidence threshold. Apps can override it per request through the model's confidenceThreshold input.", "0.25");

    public IEnumerable<Option> All => [_nms, _iou, _confidence];

    /// <summary>The NMS options, or null when --nms is not given.</summary>
    public NmsOptions? Read(ParseResult parse, bool kerasOnly)
    {
        var given = parse.GetResult(_iou) is { Implicit: false } || parse.GetResult(_confidence) is { Implicit: false };
        if (!parse.GetValue(_nms))
        {
            return given ? throw new UsageException("--iou and --confidence need --nms.") : null;
        }

        if (kerasOnly)
        {
            throw new UsageException("--nms builds a Core ML pipeline; OUTPUT must be a .mlmodel or .mlpackage.");
        }

        return new NmsOptions { IouThreshold = parse.GetValue(_iou), ConfidenceThreshold = parse.GetValue(_confidence) };
    }

    public static string Describe(PipelineWriteResult r) => Describe(r.Boxes, r.Classes, r.Labels.Count);

    /// <summary>"outputs confidence[&lt;=N×K] coordinates[&lt;=N×4] after per-class NMS (K labels)", for either pipeline.</summary>
    public static string Describe(int boxes, int classes, int labels) =>
        $"outputs confidence[<={boxes}x{classes}] coordinates[<={boxes}x4] after per-class NMS ({string.Format(CultureInfo.InvariantCulture, "{0} labels", labels)})";

    /// <summary>The "nms" object of convert's JSON summary, for either pipeline.</summary>
    public static object Json(int boxes, int classes, NmsOptions nms, IReadOnlyList<string> labels) => new
    {
        boxes,
        classes,
        iouThreshold = nms.IouThreshold,
        confidenceThreshold = nms.ConfidenceThreshold,
        labels,
    };
}
