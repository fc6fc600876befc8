using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Detection;

/// <summary>A box relative to the network input (0..1, centre and size) with the probability of one class.</summary>
public sealed record Detection(int ClassId, float Confidence, float X, float Y, float Width, float Height);

/// <summary>
/// Darknet's decoding of raw heads: get_yolo_box / get_yolo_detections (src/yolo_layer.c) and get_region_box
/// (src/region_layer.c), [Gaussian_yolo] heads by <see cref="GaussianYoloDecoder"/>, then per-class NMS as
/// do_nms_sort or diounms_sort (src/box.c).
/// </summary>
public static class YoloDecoder
{
    /// <summary>Decodes one head into candidate boxes whose class probability exceeds <paramref name="threshold"/>.</summary>
    public static List<Detection> Decode(HeadSpec head, Tensor raw, int netWidth, int netHeight, float threshold)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(raw);
        if (head.Gaussian)
        {
            return GaussianYoloDecoder.Decode(head, raw, netWidth, netHeight, threshold);
        }

        var result = new List<Detection>();
        var entries = head.Classes + 5;
        if (raw.C != head.AnchorCount * entries)
        {
            throw new ArgumentException($"head '{head.OutputName}' has {raw.C} channels; its metadata describes {head.AnchorCount} anchors × {entries}", nameof(raw));
        }

        var plane = raw.H * raw.W;
        float At(int anchor, int entry, int cell) => raw.Data[(((anchor * entries) + entry) * plane) + cell];
        for (var a = 0; a < head.AnchorCount; a++)
        {
            for (var cell = 0; cell < plane; cell++)
            {
                int row = cell / raw.W, col = cell % raw.W;
                float x, y, w, h, objectness;
                float[] probabilities = new float[head.Classes];
                if (head.Type == "region")
                {
                    objectness = Sigmoid(At(a, 4, cell));
                    x = (col + Sigmoid(At(a, 0, cell))) / raw.W;
                    y = (row + Sigmoid(At(a, 1, cell))) / raw.H;
                    w = MathF.Exp(At(a, 2, cell)) * head.Anchors[2 * a] / raw.W;
                    h = MathF.Exp(At(a, 3, cell)) * head.Anchors[(2 * a) + 1] / raw.H;
                    var max = float.NegativeInfinity;
                    for (var k = 0; k < head.Classes; k++)
                    {
                        max = Math.Max(max, At(a, 5 + k, cell));
                    }

                    var sum = 0f;
                    for (var k = 0; k < head.Classes; k++)
                    {
                        probabilities[k] = head.Softmax ? MathF.Exp(At(a, 5 + k, cell) - max) : Sigmoid(At(a, 5 + k, cell));
                        sum += probabilities[k];
                    }

                    for (var k = 0; k < head.Classes; k++)
                    {
                        probabilities[k] = (head.Softmax ? probabilities[k] / sum : probabilities[k]) * objectness;
                    }
                }
                else
                {
                    var s = head.ScaleXY;
                    var offset = -0.5f * (s - 1f);
                    Func<float, float> act = head.NewCoords ? v => v : Sigmoid;
                    objectness = act(At(a, 4, cell));
                    x = (col + (act(At(a, 0, cell)) * s) + offset) / raw.W;
                    y = (row + (act(At(a, 1, cell)) * s) + offset) / raw.H;
                    var (tw, th) = (At(a, 2, cell), At(a, 3, cell));
                    w = (head.NewCoords ? 4f * tw * tw : MathF.Exp(tw)) * head.Anchors[2 * a] / netWidth;
                    h = (head.NewCoords ? 4f * th * th : MathF.Exp(th)) * head.Anchors[(2 * a) + 1] / netHeight;
                    for (var k = 0; k < head.Classes; k++)
                    {
                        probabilities[k] = objectness * act(At(a, 5 + k, cell));
                    }
                }

                if (objectness <= threshold)
                {
                    continue;
                }

                for (var k = 0; k < head.Classes; k++)
                {
                    if (probabilities[k] > threshold)
                    {
                        result.Add(new Detection(k, probabilities[k], x, y, w, h));
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Per-class greedy NMS: a box is dropped when its IoU with a stronger box of its class exceeds the limit.</summary>
    public static List<Detection> Nms(IEnumerable<Detection> detections, float iouThreshold) => Nms(detections, iouThreshold, DarknetNms.Default);

    /// <summary>
    /// Per-class greedy NMS as do_nms_sort / diounms_sort (src/box.c): per class, strongest first, a box is dropped
    /// when <see cref="DarknetSuppression.Overlap"/> with a stronger kept box of its class exceeds the threshold.
    /// </summary>
    public static List<Detection> Nms(IEnumerable<Detection> detections, float threshold, DarknetNms nms)
    {
        ArgumentNullException.ThrowIfNull(nms);
        var kept = new List<Detection>();
        foreach (var group in detections.GroupBy(d => d.ClassId))
        {
            var sorted = group.OrderByDescending(d => d.Confidence).ToList();
            var chosen = new List<Detection>();
            foreach (var d in sorted)
            {
                if (!chosen.Any(c => DarknetSuppression.Suppresses(nms, c, d, threshold)))
                {
                    chosen.Add(d);
                }
            }

            kept.AddRange(chosen);
        }

        return [.. kept.OrderByDescending(d => d.Confidence)];
    }

    /// <summary>Intersection over union of two centre-size boxes.</summary>
    public static float Iou(Detection a, Detection b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        static float Overlap(float c1, float s1, float c2, float s2) =>
            Math.Max(0f, Math.Min(c1 + (s1 / 2), c2 + (s2 / 2)) - Math.Max(c1 - (s1 / 2), c2 - (s2 / 2)));
        var inter = Overlap(a.X, a.Width, b.X, b.Width) * Overlap(a.Y, a.Height, b.Y, b.Height);
        var union = (a.Width * a.Height) + (b.Width * b.Height) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    internal static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));
}
