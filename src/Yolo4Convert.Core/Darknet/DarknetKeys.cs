using System.Collections.Frozen;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Unknown keys. A key is known when the network builder asks for it (<see cref="CfgSectionReader.Asked"/>) or when
/// Darknet's parser reads it for training only (the lists below, from the option_find calls of AlexeyAB's
/// src/parser.c: parse_net_options, parse_yolo, ... and the per-layer keys of parse_network_cfg_custom). Any other
/// key is ignored by Darknet too ("Unused field"), which is how a typo such as 'filtres' silently keeps the default.
/// </summary>
internal static class DarknetKeys
{
    // parse_network_cfg_custom reads these in every layer section.
    private static readonly string[] EveryLayer =
        ["clip", "onlyforward", "dont_update", "burnin_update", "stopbackward", "train_only_bn", "dontload", "dontloadscales", "learning_rate"];

    // Keys Darknet reads that do not change inference, so the builder never asks for them.
    private static readonly FrozenDictionary<string, FrozenSet<string>> TrainingOnly = new Dictionary<string, string[]>
    {
        ["net"] =
        [
            "B1", "B2", "adam", "adversarial_lr", "angle", "aspect", "attention", "augment_speed", "badlabels_rejection_percentage",
            "batch", "blur", "burn_in", "contrastive", "contrastive_color", "contrastive_jit_flip", "cutmix", "decay",
            "dynamic_minibatch", "ema_alpha", "eps", "equidistant_point", "exposure", "flip", "gamma", "gaussian_noise", "hue",
            "inputs", "label_smooth_eps", "learning_rate", "learning_rate_min", "loss_scale", "max_batches", "max_chart_loss",
            "max_crop", "min_crop", "mixup", "momentum", "mosaic", "mosaic_bound", "num_sigmas_reject_badlabels",
            "optimized_memory", "policy", "power", "resize_step", "saturation", "scale", "scales", "seq_scales",
            "sequential_subdivisions", "sgdr_cycle", "sgdr_mult", "step", "steps", "subdivisions", "time_steps", "track",
            "try_fix_nan", "unsupervised", "use_cuda_graph", "weights_reject_freq", "workspace_size_limit_MB",
            "show_receptive_field",
        ],
        ["convolutional"] =
        [
            "angle", "assisted_excitation", "bin_output", "dot", "grad_centr", "reverse", "rotate", "stream", "stretch",
            "stretch_sway", "sway", "wait_stream",
        ],
        ["maxpool"] = ["maxpool_zero_nonmax", "out_channels"],
        ["route"] = ["stream", "wait_stream"],
        ["shortcut"] = ["weights_normalization"],
        ["softmax"] = ["noloss"],
        ["dropout"] = ["probability", "dropblock", "dropblock_size_rel", "dropblock_size_abs"],
        ["cost"] = ["type", "scale", "ratio"],
        ["yolo"] =
        [
            "cls_normalizer", "counters_per_class", "delta_normalizer", "dets_for_show", "dets_for_track",
            "embedding_layer", "focal_loss", "ignore_thresh", "iou_loss", "iou_normalizer", "iou_thresh", "iou_thresh_kind",
            "jitter", "label_smooth_eps", "map", "max", "max_delta", "obj_normalizer", "objectness_smooth",
            "random", "resize", "show_details", "sim_thresh", "track_ciou_norm", "track_history_size", "truth_thresh",
            "uc_normalizer", "yolo_point",
        ],
        ["Gaussian_yolo"] =
        [
            "beta_nms", "cls_normalizer", "counters_per_class", "delta_normalizer", "ignore_thresh", "iou_loss", "iou_normalizer",
            "iou_thresh", "iou_thresh_kind", "jitter", "label_smooth_eps", "max", "max_delta", "nms_kind", "obj_normalizer",
            "objectness_smooth", "random", "resize", "truth_thresh", "uc_normalizer",
        ],
        ["region"] =
        [
            "absolute", "bias_match", "class_scale", "classfix", "coord_scale", "focal_loss", "jitter", "log", "mask_scale",
            "max", "noobject_scale", "object_scale", "random", "rescore", "resize", "sqrt", "thresh",
        ],
    }.ToFrozenDictionary(p => p.Key, p => p.Value.Concat(p.Key == "net" ? [] : EveryLayer).ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);

    private static readonly FrozenSet<string> LayerDefault = EveryLayer.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Warns about every key of the section that neither the builder nor Darknet reads.</summary>
    public static void ReportUnknown(CfgSectionReader section, string kind, WarningLog? warnings)
    {
        if (warnings is null)
        {
            return;
        }

        var training = TrainingOnly.TryGetValue(kind, out var t) ? t : LayerDefault;
        var first = new Dictionary<string, CfgOption>(StringComparer.Ordinal);
        foreach (var option in section.Options)
        {
            // option_find takes the first occurrence; Darknet reports the others as unused.
            if (first.TryGetValue(option.Key, out var earlier))
            {
                warnings.Add(
                    $"'{Echo.Of(option.Key)}' appears again in [{Echo.Of(section.Name)}] (first at line {earlier.Location.Line}, which Darknet uses); this value '{Echo.Of(option.Value)}' is ignored.",
                    option.Location, "remove one of the two lines.");
                continue;
            }

            first[option.Key] = option;
            if (section.Asked.Contains(option.Key) || training.Contains(option.Key))
            {
                continue;
            }

            // The suggestion costs an edit distance per known key: only for warnings that will be shown.
            var suggestion = warnings.Strict || warnings.Items.Count < WarningLog.MaxKept ? Closest(option.Key, section.Asked.Concat(training)) : null;
            warnings.Add(
                $"unknown key '{Echo.Of(option.Key)}' in [{Echo.Of(section.Name)}]{(suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?")} Darknet ignores it (\"Unused field\").",
                option.Location,
                suggestion is null ? "remove the line or fix the key; see Darknet's parser.c for the keys of this section." : $"rename it to '{suggestion}', or the default value applies.");
        }
    }

    // The known key at the smallest edit distance (insertions, deletions, substitutions, adjacent swaps), if close.
    private static string? Closest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known.Distinct().Order(StringComparer.Ordinal))
        {
            var d = Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        return best is not null && bestDistance <= Math.Max(1, Math.Min(3, key.Length / 3)) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 3 || a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }

        return EditDistance.Of(a, b);
    }
}
