using System.Globalization;

namespace Yolo4Convert.Graph;

/// <summary>Darknet's NMS kinds (<c>NMS_KIND</c>, include/darknet.h), as a head's <c>nms_kind</c> names them.</summary>
public enum DarknetNmsKind
{
    /// <summary><c>default</c>: do_nms_sort, a box is dropped when its IoU with a stronger one exceeds the threshold.</summary>
    Default,

    /// <summary><c>greedynms</c>: diounms_sort with box_diou, IoU − (d²/c²)^0.6 (the exponent fixed, not beta_nms).</summary>
    Greedy,

    /// <summary><c>diounms</c>: diounms_sort with box_diounms, IoU − (d²/c²)^beta_nms.</summary>
    Diou,

    /// <summary><c>cornersnms</c> ([Gaussian_yolo] only): diounms_sort's IoU branch, the same decisions as default.</summary>
    Corners,
}

/// <summary>
/// How Darknet's <c>detector test</c> suppresses overlapping boxes: the <c>nms_kind</c> and <c>beta_nms</c> of the
/// network's last detection layer (test_detector in src/detector.c takes both from that layer).
/// </summary>
/// <param name="Kind">The suppression rule.</param>
/// <param name="Beta">beta_nms (Darknet's default 0.6); only <see cref="DarknetNmsKind.Diou"/> uses it.</param>
public sealed record DarknetNms(DarknetNmsKind Kind, float Beta)
{
    /// <summary>Darknet's default beta_nms.</summary>
    public const float DefaultBeta = 0.6f;

    /// <summary>Plain IoU NMS: what a head without nms_kind (and every [region] head) gets.</summary>
    public static DarknetNms Default { get; } = new(DarknetNmsKind.Default, DefaultBeta);

    /// <summary>The cfg's spelling: default, greedynms, diounms or cornersnms.</summary>
    public string Name => KindName(Kind);

    /// <summary>Whether Darknet suppresses by plain IoU (default, and cornersnms, whose merging is commented out in box.c).</summary>
    public bool IsIou => Kind is DarknetNmsKind.Default or DarknetNmsKind.Corners;

    /// <summary>The cfg's spelling of a kind.</summary>
    public static string KindName(DarknetNmsKind kind) => kind switch
    {
        DarknetNmsKind.Greedy => "greedynms",
        DarknetNmsKind.Diou => "diounms",
        DarknetNmsKind.Corners => "cornersnms",
        _ => "default",
    };

    /// <summary>The kind a cfg spelling names (exact, as Darknet's strcmp), or null for any other text.</summary>
    public static DarknetNmsKind? Parse(string text) => text switch
    {
        "default" => DarknetNmsKind.Default,
        "greedynms" => DarknetNmsKind.Greedy,
        "diounms" => DarknetNmsKind.Diou,
        "cornersnms" => DarknetNmsKind.Corners,
        _ => null,
    };

    /// <summary>The setting Darknet's detector test uses: that of the last detection head, in layer order.</summary>
    public static DarknetNms Of(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.Heads.LastOrDefault()?.Nms ?? Default;
    }

    /// <summary>The measure compared with the threshold, for messages: "IoU" or "DIoU (IoU − (d²/c²)^0.6)".</summary>
    public string Rule => Kind switch
    {
        DarknetNmsKind.Greedy => "DIoU (IoU − (d²/c²)^0.6)",
        DarknetNmsKind.Diou => string.Create(CultureInfo.InvariantCulture, $"DIoU (IoU − (d²/c²)^{Beta:R}, beta_nms)"),
        _ => "IoU",
    };
}
