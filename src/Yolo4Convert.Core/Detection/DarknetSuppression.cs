using Yolo4Convert.Graph;

namespace Yolo4Convert.Detection;

/// <summary>
/// The overlap by which Darknet's NMS drops a weaker box of a class (src/box.c): box_iou for do_nms_sort (and for
/// cornersnms), box_diou for greedynms, box_diounms with beta_nms for diounms. A box is dropped when the measure
/// against a stronger kept box of its class exceeds the threshold. Boxes are centre-size, in the coordinates Darknet
/// suppresses in: relative to the image after correct_yolo_boxes (DIoU, unlike IoU, changes when the two axes are
/// scaled differently).
/// </summary>
public static class DarknetSuppression
{
    /// <summary>The measure <paramref name="nms"/> compares with the threshold, of a stronger box and a weaker one.</summary>
    public static float Overlap(DarknetNms nms, Detection stronger, Detection weaker)
    {
        ArgumentNullException.ThrowIfNull(nms);
        return nms.Kind switch
        {
            DarknetNmsKind.Greedy => Diou(stronger, weaker, 0.6),
            DarknetNmsKind.Diou => Diou(stronger, weaker, nms.Beta),
            _ => YoloDecoder.Iou(stronger, weaker),
        };
    }

    /// <summary>Whether <paramref name="stronger"/> suppresses <paramref name="weaker"/> at <paramref name="threshold"/>.</summary>
    public static bool Suppresses(DarknetNms nms, Detection stronger, Detection weaker, float threshold) => Overlap(nms, stronger, weaker) > threshold;

    /// <summary>
    /// box_diou / box_diounms: IoU − (d²/c²)^β, d the distance of the centres and c the diagonal of the smallest box
    /// holding both (IoU alone when c is 0). Float arithmetic with the power in double, as Darknet computes it.
    /// </summary>
    public static float Diou(Detection a, Detection b, double beta)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var top = Math.Min(a.Y - (a.Height / 2), b.Y - (b.Height / 2));
        var bottom = Math.Max(a.Y + (a.Height / 2), b.Y + (b.Height / 2));
        var left = Math.Min(a.X - (a.Width / 2), b.X - (b.Width / 2));
        var right = Math.Max(a.X + (a.Width / 2), b.X + (b.Width / 2));
        var w = right - left;
        var h = bottom - top;
        var c = (w * w) + (h * h);
        var iou = YoloDecoder.Iou(a, b);
        if (c == 0)
        {
            return iou;
        }

        var d = ((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y));
        return iou - (float)Math.Pow(d / c, beta);
    }
}
