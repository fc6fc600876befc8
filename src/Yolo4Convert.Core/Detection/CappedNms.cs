using Yolo4Convert.Graph;

namespace Yolo4Convert.Detection;

/// <summary>
/// Per-class greedy NMS that stops once <c>max</c> boxes are kept. Candidates are visited strongest first across all
/// classes, so the kept boxes are exactly the <c>max</c> strongest of what <see cref="YoloDecoder.Nms(IEnumerable{Detection}, float, DarknetNms)"/> keeps, and the
/// cost is bounded by candidates × max even when badly trained weights put hundreds of thousands of boxes above the
/// threshold.
/// </summary>
public static class CappedNms
{
    /// <summary>Runs NMS; <c>Capped</c> says that more boxes would have survived than <paramref name="max"/>.</summary>
    public static (List<Detection> Kept, bool Capped) Run(IEnumerable<Detection> candidates, float iouThreshold, int max) =>
        Run(candidates, iouThreshold, max, DarknetNms.Default);

    /// <summary>Runs NMS with Darknet's rule <paramref name="nms"/> (see <see cref="DarknetSuppression"/>).</summary>
    public static (List<Detection> Kept, bool Capped) Run(IEnumerable<Detection> candidates, float threshold, int max, DarknetNms nms)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(nms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var kept = new List<Detection>();
        var perClass = new Dictionary<int, List<Detection>>();
        foreach (var d in candidates.OrderByDescending(d => d.Confidence))
        {
            if (!perClass.TryGetValue(d.ClassId, out var same))
            {
                same = [];
                perClass[d.ClassId] = same;
            }

            if (!same.Any(c => DarknetSuppression.Suppresses(nms, c, d, threshold)))
            {
                if (kept.Count == max)
                {
                    return (kept, true);
                }

                same.Add(d);
                kept.Add(d);
            }
        }

        return (kept, false);
    }
}
