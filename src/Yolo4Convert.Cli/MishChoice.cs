using System.CommandLine;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Cli;

/// <summary>
/// The convert option <c>--mish</c> and its default: a plain model keeps the custom layer (the form the samples
/// load), a <c>--nms</c> model, meant to be dropped into an app as it is, uses built-in layers only.
/// </summary>
internal static class MishChoice
{
    public static Option<string?> Option()
    {
        var mish = new Option<string?>("--mish")
        {
            Description = "How to express mish: 'custom' = a custom layer your app implements (class 'Mish', see samples/ios; Xcode cannot preview such a model); "
                + "'native' = built-in softplus, tanh and multiply layers that run anywhere; 'stable' = built-in layers that never take softplus of a large input "
                + "(for half precision on the Neural Engine). Default: 'stable' with --nms (a model any app can load), else 'custom'.",
        };
        mish.AcceptOnlyFromAmong("custom", "native", "stable");
        return mish;
    }

    /// <summary>The form used: the one asked for, else the default for a plain or a --nms model.</summary>
    public static MishLowering Resolve(string? asked, bool nms) => asked switch
    {
        "custom" => MishLowering.CustomLayer,
        "native" => MishLowering.Native,
        "stable" => MishLowering.Stable,
        _ => nms ? MishLowering.Stable : MishLowering.CustomLayer,
    };

    /// <summary>How many layers of the network end in mish (each is one custom layer in the custom form).</summary>
    public static int Count(Network network) => network.Layers.Count(l => LayerFacts.ActivationOf(l) == Activation.Mish);

    /// <summary>
    /// A --nms model with custom mish layers loads only in an app that registers the class: said through the
    /// warnings channel, so --strict refuses it.
    /// </summary>
    public static void WarnIfCustomInPipeline(WarningLog warnings, MishLowering mish, bool nms, int mishLayers, string className)
    {
        if (nms && mish == MishLowering.CustomLayer && mishLayers > 0)
        {
            warnings.Add(
                $"--mish custom with --nms: the model holds {mishLayers} custom '{className}' layers, so it loads only in an app that registers a class named '{className}' (see samples/ios), and Xcode cannot preview it.",
                null, "leave out --mish (or pass --mish stable) for built-in layers that run in any app.");
        }
    }

    /// <summary>The option's value as printed: custom, native or stable.</summary>
    public static string Name(MishLowering mish) => mish switch
    {
        MishLowering.Native => "native",
        MishLowering.Stable => "stable",
        _ => "custom",
    };

    /// <summary>", mish: stable (built-in layers)" for the summary line; empty when the network has no mish.</summary>
    public static string Summary(MishLowering mish, int mishLayers, int customLayers, string className) =>
        mishLayers == 0 ? string.Empty
            : mish == MishLowering.CustomLayer ? $", mish: custom ({customLayers} '{className}' custom layers the app must register)"
            : $", mish: {Name(mish)} (built-in layers)";
}
