using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Detection;

/// <summary>One reference detection and the model detection matched to it (null when none qualified).</summary>
/// <param name="Reference">The reference's detection.</param>
/// <param name="Model">The model's detection of the same class with the largest IoU, if that IoU reached the minimum.</param>
/// <param name="Iou">The largest IoU with any unmatched model detection of the same class (0 when there is none).</param>
public sealed record DetectionMatch(Detection Reference, Detection? Model, float Iou);

/// <summary>
/// Whether a model finds what a reference finds, after decoding and NMS: every reference detection is matched
/// one-to-one, strongest first, to the model detection of the same class that overlaps it most, if that IoU reaches
/// <see cref="MinIou"/>. This is what a user of the model sees, unlike raw head differences.
/// </summary>
public sealed record DetectionAgreement(IReadOnlyList<DetectionMatch> Matches, float MinIou)
{
    /// <summary>Reference detections the model also found.</summary>
    public int Found => Matches.Count(m => m.Model is not null);

    /// <summary>True when the model found every reference detection.</summary>
    public bool AllFound => Found == Matches.Count;

    /// <summary>The smallest IoU among the matches (1 when there is nothing to match).</summary>
    public float WorstIou => Matches.Count == 0 ? 1f : Matches.Min(m => m.Iou);

    /// <summary>Matches reference detections to model detections.</summary>
    public static DetectionAgreement Compare(IEnumerable<Detection> reference, IEnumerable<Detection> model, float minIou)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(model);
        var unused = model.ToList();
        var matches = new List<DetectionMatch>();
        foreach (var r in reference.OrderByDescending(d => d.Confidence).ThenBy(d => d.ClassId))
        {
            Detection? best = null;
            var bestIou = 0f;
            foreach (var m in unused.Where(m => m.ClassId == r.ClassId))
            {
                var iou = YoloDecoder.Iou(r, m);
                if (iou > bestIou)
                {
                    (best, bestIou) = (m, iou);
                }
            }

            var found = best is not null && bestIou >= minIou;
            if (found)
            {
                unused.Remove(best!);
            }

            matches.Add(new DetectionMatch(r, found ? best : null, bestIou));
        }

        return new DetectionAgreement(matches, minIou);
    }

    /// <summary>Decodes every head (class probability above <paramref name="threshold"/>) and applies per-class IoU NMS.</summary>
    public static List<Detection> Detect(IEnumerable<HeadSpec> heads, Func<string, Tensor> raw, int netWidth, int netHeight, float threshold, float nmsIou) =>
        Detect(heads, raw, netWidth, netHeight, threshold, nmsIou, DarknetNms.Default);

    /// <summary>Decodes every head and applies per-class NMS with Darknet's rule <paramref name="nms"/>.</summary>
    public static List<Detection> Detect(IEnumerable<HeadSpec> heads, Func<string, Tensor> raw, int netWidth, int netHeight, float threshold, float nmsThreshold, DarknetNms nms)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(raw);
        return YoloDecoder.Nms(heads.SelectMany(h => YoloDecoder.Decode(h, raw(h.OutputName), netWidth, netHeight, threshold)), nmsThreshold, nms);
    }
}
