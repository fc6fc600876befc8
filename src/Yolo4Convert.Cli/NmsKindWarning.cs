using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Cli;

/// <summary>
/// `--nms` on a cfg whose Darknet NMS is not plain IoU (nms_kind=greedynms or diounms): Core ML's
/// nonMaximumSuppression can only compare IoU, so the pipeline suppresses differently from Darknet's detector test.
/// </summary>
internal static class NmsKindWarning
{
    /// <summary>Adds the one warning when <paramref name="nms"/> is set and the cfg's last head asks for DIoU.</summary>
    public static void WarnIfNotIou(WarningLog warnings, NmsOptions? nms, Network network)
    {
        var darknet = DarknetNms.Of(network);
        if (nms is null || darknet.IsIou)
        {
            return;
        }

        var head = network.Heads.Last();
        warnings.Add(
            $"--nms: the cfg's last [{head.Kind}] sets nms_kind={darknet.Name}: Darknet drops a box whose {darknet.Rule} with a stronger box of its class exceeds the threshold, "
            + "but Core ML's NMS stage compares plain IoU, so the model drops some overlapping boxes (crowds, nested boxes) that Darknet keeps.",
            head.Source,
            "convert without --nms for Darknet's rule in `detect` and `verify` (the model keeps it in its metadata); see the README on NMS kinds.");
    }
}
