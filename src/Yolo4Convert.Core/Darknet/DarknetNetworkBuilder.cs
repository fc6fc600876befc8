using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Gives a <see cref="CfgDocument"/> its meaning: resolves section aliases, defaults and layer references exactly as
/// Darknet's parser.c does. A key that would change inference and that we cannot honour is an error, never ignored.
/// </summary>
public static class DarknetNetworkBuilder
{
    // string_to_layer_type, src/parser.c
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["conv"] = "convolutional",
        ["max"] = "maxpool",
        ["avg"] = "avgpool",
        ["soft"] = "softmax",
        ["network"] = "net",
        ["conn"] = "connected",
        ["lrn"] = "normalization",
        ["local_avg"] = "local_avgpool",
        ["empty"] = "silence",
    };

    private static readonly HashSet<string> KnownButUnsupported = new(StringComparer.Ordinal)
    {
        "connected", "local", "batchnorm", "crnn", "rnn", "gru", "lstm", "conv_lstm", "history", "implicit",
        "crop", "detection", "normalization", "activation", "contrastive",
        "deconvolutional", "xnor", "shortcut_old",
    };

    /// <summary>
    /// Builds the layer graph of a parsed cfg. Keys neither the builder nor Darknet reads go to
    /// <paramref name="warnings"/> (or fail in its strict mode).
    /// </summary>
    public static Network Build(CfgDocument document, WarningLog? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (document.Sections.Length == 0)
        {
            throw new DarknetFormatException("the cfg has no sections; expected a [net] section followed by layers.",
                SourceLocation.Text(document.FileName, 1), "is this really a Darknet .cfg file?");
        }

        var first = document.Sections[0];
        if (Canonical(first.Name) != "net")
        {
            throw new DarknetFormatException($"the first section is '[{Echo.Of(first.Name)}]'; expected [net] or [network].",
                first.Location, "Darknet reads the input size from the first section.");
        }

        var netSection = new CfgSectionReader(first);
        var net = ParseNet(netSection);
        DarknetKeys.ReportUnknown(netSection, "net", warnings);
        var layers = ImmutableArray.CreateBuilder<Layer>();
        for (var s = 1; s < document.Sections.Length; s++)
        {
            var section = new CfgSectionReader(document.Sections[s]);
            layers.Add(ParseLayer(section, s - 1));
            DarknetKeys.ReportUnknown(section, Canonical(section.Name), warnings);
        }

        if (layers.Count == 0)
        {
            throw new DarknetFormatException("the cfg has a [net] section but no layers.", first.Location);
        }

        return new Network(document.FileName, net, layers.ToImmutable());
    }

    private static string Canonical(string name) => Aliases.TryGetValue(name, out var c) ? c : name;

    // parse_net_options, src/parser.c
    private static NetOptions ParseNet(CfgSectionReader s)
    {
        var width = s.GetInt("width", 0);
        var height = s.GetInt("height", 0);
        var channels = s.GetInt("channels", 0);
        if (width <= 0 || height <= 0 || channels <= 0)
        {
            throw new DarknetFormatException(
                $"[net] has width={width}, height={height}, channels={channels}; expected all three to be positive.",
                s.Location, "set width, height and channels in [net] (e.g. width=416 height=416 channels=3).");
        }

        if (width > CfgLimits.Size || height > CfgLimits.Size || channels > CfgLimits.Channels)
        {
            throw new DarknetFormatException(
                $"[net] has width={width}, height={height}, channels={channels}; expected width and height up to {CfgLimits.Size:N0} and channels up to {CfgLimits.Channels:N0}.",
                s.Location, "a value this far out of range is a typo or a damaged file.");
        }

        return new NetOptions(width, height, channels, s.GetInt("letter_box", 0) != 0);
    }

    private static Layer ParseLayer(CfgSectionReader s, int index)
    {
        var kind = Canonical(s.Name);
        RejectNonZero(s, "dontload", "the layer's weights would not be loaded, so Darknet keeps random values");
        return kind switch
        {
            "convolutional" => ParseConvolutional(s, index),
            "maxpool" => ParseMaxPool(s, index),
            "local_avgpool" => ParseLocalAvgPool(s, index),
            "avgpool" => new AvgPoolLayer(index, Previous(index), s.Location),
            "route" => ParseRoute(s, index),
            "shortcut" => ParseShortcut(s, index),
            "upsample" => ParseUpsample(s, index),
            "reorg" or "reorg3d" => ParseReorg(s, index, kind == "reorg"),
            "dropout" or "cost" or "silence" => new IdentityLayer(index, Previous(index), s.Location, kind),
            "softmax" => ParseSoftmax(s, index),
            "scale_channels" => new ScaleChannelsLayer(index, [index - 1, From(s, index)], s.Location,
                s.GetInt("scale_wh", 0) != 0, GenericActivation(s)),
            "sam" => new SamLayer(index, [index - 1, From(s, index)], s.Location, GenericActivation(s)),
            "yolo" => ParseYolo(s, index),
            "region" => ParseRegion(s, index),
            "Gaussian_yolo" => ParseGaussianYolo(s, index),
            "net" => throw new DarknetFormatException($"a second [{Echo.Of(s.Name)}] section appears as layer {index}; expected it only once, first.", s.Location),
            _ when KnownButUnsupported.Contains(kind) => throw new UnsupportedFeatureException(
                $"layer {index} is a [{Echo.Of(s.Name)}] section, which yolo4convert does not support yet.", s.Location,
                "the YOLO family v2-v7 needs only convolutional, maxpool, route, shortcut, upsample, yolo/region and a few more."),
            _ => throw new DarknetFormatException($"unknown section '[{Echo.Of(s.Name)}]' at layer {index}.", s.Location,
                "Darknet prints 'Type not recognized' here; check the spelling of the section name."),
        };
    }

    private static ImmutableArray<int> Previous(int index) => [index - 1];

    // parse_convolutional, src/parser.c and make_convolutional_layer, src/convolutional_layer.c
    private static ConvolutionalLayer ParseConvolutional(CfgSectionReader s, int index)
    {
        foreach (var key in new[] { "antialiasing", "binary", "xnor", "flipped", "dontloadscales", "coordconv" })
        {
            RejectNonZero(s, key, "it changes what the layer computes or how its weights are stored");
        }

        if (s.Find("share_index") is { } share)
        {
            throw new UnsupportedFeatureException($"[convolutional] layer {index} shares weights (share_index={Echo.Of(share.Value)}); this is not supported.",
                share.Location);
        }

        var filters = Positive(s, "filters", 1, index, CfgLimits.Channels);
        var size = Positive(s, "size", 1, index, CfgLimits.Window);
        var stride = s.GetBounded("stride", 1, int.MinValue, CfgLimits.Window, "a stride");
        var strideX = s.GetBounded("stride_x", stride, int.MinValue, CfgLimits.Window, "a stride");
        var strideY = s.GetBounded("stride_y", stride, int.MinValue, CfgLimits.Window, "a stride");
        if (strideX < 1 || strideY < 1)
        {
            throw new DarknetFormatException($"[convolutional] layer {index} has stride {strideX}x{strideY}; expected a positive stride.",
                (s.Find("stride") ?? s.Find("stride_x") ?? s.Find("stride_y"))?.Location ?? s.Location);
        }

        // parse_convolutional reads every one of these; `pad` overrides `padding`, size 1 ignores `dilation`.
        var pad = s.GetInt("pad", 0);
        var explicitPadding = s.GetBounded("padding", 0, int.MinValue, CfgLimits.Window, "a padding");
        var padding = pad != 0 ? size / 2 : explicitPadding;
        var groups = Math.Max(1, s.GetBounded("groups", 1, int.MinValue, CfgLimits.Channels, "a group count"));
        var dilationValue = s.GetBounded("dilation", 1, int.MinValue, CfgLimits.Window, "a dilation");
        var dilation = size == 1 ? 1 : Math.Max(1, dilationValue);
        var bn = s.GetInt("batch_normalize", 0) != 0 || s.GetInt("cbn", 0) != 0;
        var activation = ParseActivation(s, "logistic");
        return new ConvolutionalLayer(index, Previous(index), s.Location, filters, size, strideX, strideY, padding,
            groups, dilation, bn, activation);
    }

    // parse_maxpool, src/parser.c
    private static MaxPoolLayer ParseMaxPool(CfgSectionReader s, int index)
    {
        RejectNonZero(s, "maxpool_depth", "it pools across channels");
        RejectNonZero(s, "antialiasing", "it adds a blur after the pooling");
        var (size, strideX, strideY, padding) = PoolWindow(s, index, "maxpool");
        return new MaxPoolLayer(index, Previous(index), s.Location, size, strideX, strideY, padding);
    }

    // parse_maxpool and parse_local_avgpool, src/parser.c: stride 1, stride_x/stride_y = stride, size = stride,
    // padding = size − 1.
    private static (int Size, int StrideX, int StrideY, int Padding) PoolWindow(CfgSectionReader s, int index, string kind)
    {
        var stride = s.GetBounded("stride", 1, int.MinValue, CfgLimits.Window, "a stride");
        var strideX = s.GetBounded("stride_x", stride, int.MinValue, CfgLimits.Window, "a stride");
        var strideY = s.GetBounded("stride_y", stride, int.MinValue, CfgLimits.Window, "a stride");
        var size = s.GetBounded("size", stride, int.MinValue, CfgLimits.Window, "a window size");
        var padding = s.GetBounded("padding", size - 1, int.MinValue, CfgLimits.Window, "a padding");
        if (size < 1 || strideX < 1 || strideY < 1 || padding < 0)
        {
            throw new DarknetFormatException(
                $"[{kind}] layer {index} has size={size}, stride={strideX}x{strideY}, padding={padding}; expected positive size and stride.",
                s.Location);
        }

        return (size, strideX, strideY, padding);
    }

    // parse_local_avgpool, src/parser.c: maxpool's keys and defaults (padding = size − 1), no depth or antialiasing.
    private static LocalAvgPoolLayer ParseLocalAvgPool(CfgSectionReader s, int index)
    {
        var (size, strideX, strideY, padding) = PoolWindow(s, index, "local_avgpool");

        // A window wholly in the padding has no cell to average: Darknet divides 0 by 0 there.
        if (padding / 2 >= size || padding - (padding / 2) >= size)
        {
            throw new UnsupportedFeatureException(
                $"[local_avgpool] layer {index} has padding={padding} for size={size}; windows wholly in the padding average no cell (Darknet writes NaN).",
                s.Find("padding")?.Location ?? s.Location, "use a padding below twice the size (the default is size - 1).");
        }

        return new LocalAvgPoolLayer(index, Previous(index), s.Location, size, strideX, strideY, padding);
    }

    // parse_route, src/parser.c
    private static RouteLayer ParseRoute(CfgSectionReader s, int index)
    {
        var layers = References(s, "layers", index);
        var groups = s.GetBounded("groups", 1, int.MinValue, CfgLimits.Channels, "a group count");
        var groupId = s.GetInt("group_id", 0);
        if (groups < 1 || groupId < 0 || groupId >= groups)
        {
            throw new DarknetFormatException($"[route] layer {index} has groups={groups}, group_id={groupId}; expected groups >= 1 and 0 <= group_id < groups.",
                s.Find("group_id")?.Location ?? s.Location);
        }

        return new RouteLayer(index, layers, s.Location, groups, groupId);
    }

    // parse_shortcut, src/parser.c
    private static ShortcutLayer ParseShortcut(CfgSectionReader s, int index)
    {
        var weightsType = s.GetString("weights_type", "none");
        if (weightsType != "none")
        {
            throw new UnsupportedFeatureException($"[shortcut] layer {index} uses weights_type={Echo.Of(weightsType)} (a weighted shortcut); this is not supported.",
                s.Find("weights_type")!.Location);
        }

        var from = References(s, "from", index);
        var activation = ParseActivation(s, "linear");
        return new ShortcutLayer(index, [index - 1, .. from], s.Location, activation);
    }

    // parse_upsample, src/parser.c
    private static UpsampleLayer ParseUpsample(CfgSectionReader s, int index)
    {
        var stride = s.GetBounded("stride", 2, int.MinValue, CfgLimits.Window, "a stride");
        if (stride <= 0)
        {
            throw new UnsupportedFeatureException($"[upsample] layer {index} has stride={stride} (a summing downsample); only positive strides are supported.",
                s.Find("stride")?.Location ?? s.Location);
        }

        return new UpsampleLayer(index, Previous(index), s.Location, stride, Finite(s, "scale", 1f));
    }

    // parse_reorg / parse_reorg_old, src/parser.c
    private static ReorgLayer ParseReorg(CfgSectionReader s, int index, bool old)
    {
        RejectNonZero(s, "reverse", "it runs depth-to-space instead");
        var stride = s.GetBounded("stride", 1, int.MinValue, CfgLimits.Window, "a stride");
        if (stride < 1)
        {
            throw new DarknetFormatException($"[{s.Name}] layer {index} has stride={stride}; expected a positive stride.", s.Location);
        }

        return new ReorgLayer(index, Previous(index), s.Location, stride, old);
    }

    // parse_softmax, src/parser.c
    private static SoftmaxLayer ParseSoftmax(CfgSectionReader s, int index)
    {
        RejectNonZero(s, "spatial", "it takes the softmax per pixel");
        if (s.Find("tree") is { } tree)
        {
            throw new UnsupportedFeatureException($"[softmax] layer {index} uses a hierarchical softmax (tree={Echo.Of(tree.Value)}); this is not supported.", tree.Location);
        }

        var groups = s.GetInt("groups", 1);
        if (groups != 1)
        {
            throw new UnsupportedFeatureException($"[softmax] layer {index} has groups={groups}; only groups=1 is supported.", s.Find("groups")!.Location);
        }

        return new SoftmaxLayer(index, Previous(index), s.Location, groups, Finite(s, "temperature", 1f));
    }

    // parse_yolo, src/parser.c
    private static YoloLayer ParseYolo(CfgSectionReader s, int index)
    {
        var (classes, num, mask) = ClassesAndMask(s, index, "yolo");
        var anchors = Anchors(s, num, index);
        var scale = Finite(s, "scale_x_y", 1f);
        var newCoords = s.GetInt("new_coords", 0) != 0;
        return new YoloLayer(index, Previous(index), s.Location, classes, anchors, mask, scale, newCoords) { Nms = ParseNms(s, cornersKnown: false) };
    }

    // parse_yolo and parse_gaussian_yolo, src/parser.c: classes (20), num (1) and mask (0..num−1), each mask entry an
    // index of an anchor pair.
    private static (int Classes, int Num, ImmutableArray<int> Mask) ClassesAndMask(CfgSectionReader s, int index, string kind)
    {
        var classes = s.GetBounded("classes", 20, int.MinValue, CfgLimits.Classes, "a class count");
        var num = s.GetBounded("num", 1, int.MinValue, CfgLimits.Anchors, "an anchor count");
        if (classes < 1 || num < 1)
        {
            throw new DarknetFormatException($"[{kind}] layer {index} has classes={classes}, num={num}; expected both to be positive.", s.Location);
        }

        var mask = s.Find("mask") is { } m
            ? [.. ListItems(m.Value).Select(CfgSection.Atoi)]
            : Enumerable.Range(0, num).ToImmutableArray();
        if (mask.Length > CfgLimits.Anchors)
        {
            throw new DarknetFormatException($"[{kind}] layer {index} lists {mask.Length:N0} mask entries; expected at most {CfgLimits.Anchors:N0}.", s.Find("mask")!.Location);
        }

        foreach (var a in mask)
        {
            if (a < 0 || a >= num)
            {
                throw new DarknetFormatException($"[{kind}] layer {index} has mask entry {a}; expected 0..{num - 1} (num={num}).",
                    s.Find("mask")!.Location, "mask picks anchors by index; num is the number of anchor pairs.");
            }
        }

        return (classes, num, mask);
    }

    // parse_yolo and parse_gaussian_yolo, src/parser.c: beta_nms (0.6) and nms_kind by exact name; any other name is
    // DEFAULT_NMS, and so is cornersnms in [yolo] (only parse_gaussian_yolo knows it).
    private static DarknetNms ParseNms(CfgSectionReader s, bool cornersKnown)
    {
        var beta = Finite(s, "beta_nms", DarknetNms.DefaultBeta);
        var kind = DarknetNms.Parse(s.GetString("nms_kind", "default")) is { } k && (cornersKnown || k != DarknetNmsKind.Corners) ? k : DarknetNmsKind.Default;
        return new DarknetNms(kind, beta);
    }

    // parse_gaussian_yolo, src/parser.c and make_gaussian_yolo_layer, src/gaussian_yolo_layer.c: classes 20, num 1,
    // mask 0..num−1, anchors 0.5, scale_x_y 1, yolo_point center.
    private static GaussianYoloLayer ParseGaussianYolo(CfgSectionReader s, int index)
    {
        if (s.Find("map") is { } map)
        {
            throw new UnsupportedFeatureException($"[Gaussian_yolo] layer {index} uses map={Echo.Of(map.Value)} (a class remapping); this is not supported.", map.Location);
        }

        var point = s.GetString("yolo_point", "center");
        if (point is "left_top" or "right_bottom")
        {
            throw new UnsupportedFeatureException($"[Gaussian_yolo] layer {index} has yolo_point={Echo.Of(point)}; only boxes given by their centre are supported.",
                s.Find("yolo_point")!.Location, "remove yolo_point (the default is center).");
        }

        var (classes, num, mask) = ClassesAndMask(s, index, "Gaussian_yolo");
        return new GaussianYoloLayer(index, Previous(index), s.Location, classes, Anchors(s, num, index), mask, Finite(s, "scale_x_y", 1f))
        {
            Nms = ParseNms(s, cornersKnown: true),
        };
    }

    // parse_region, src/parser.c
    private static RegionLayer ParseRegion(CfgSectionReader s, int index)
    {
        foreach (var key in new[] { "tree", "map" })
        {
            if (s.Find(key) is { } o)
            {
                throw new UnsupportedFeatureException($"[region] layer {index} uses {key}={Echo.Of(o.Value)} (yolo9000's hierarchical classes); this is not supported.", o.Location);
            }
        }

        var classes = s.GetBounded("classes", 20, 1, CfgLimits.Classes, "a class count");
        var num = s.GetBounded("num", 1, 1, CfgLimits.Anchors, "an anchor count");
        var coords = s.GetInt("coords", 4);
        if (coords != 4)
        {
            throw new UnsupportedFeatureException($"[region] layer {index} has coords={coords}; only 4 is supported.", s.Find("coords")!.Location);
        }

        return new RegionLayer(index, Previous(index), s.Location, classes, Anchors(s, num, index), num, coords, s.GetInt("softmax", 0) != 0);
    }

    private static ImmutableArray<float> Anchors(CfgSectionReader s, int num, int index)
    {
        if (s.Find("anchors") is not { } a)
        {
            return [.. Enumerable.Repeat(0.5f, num * 2)];
        }

        var values = ListItems(a.Value).Select(CfgSection.Atof).ToArray();
        if (values.Length < num * 2)
        {
            throw new DarknetFormatException(
                $"[{s.Name}] layer {index} lists {values.Length} anchor values; expected {num * 2} (num={num} pairs of width,height).",
                a.Location, "anchors are width,height pairs; num counts the pairs.");
        }

        if (values.Take(num * 2).FirstOrDefault(v => !float.IsFinite(v), 0f) is var bad && !float.IsFinite(bad))
        {
            throw new DarknetFormatException($"[{Echo.Of(s.Name)}] layer {index} has an anchor of {bad}; expected finite numbers.", a.Location);
        }

        return [.. values.Take(num * 2)];
    }

    // Darknet's list parsers stop at an inline '#'.
    private static IEnumerable<string> ListItems(string value)
    {
        var hash = value.IndexOf('#');
        var text = hash >= 0 ? value[..hash] : value;
        return text.Split(',').Where(t => t.Length > 0);
    }

    private static int From(CfgSectionReader s, int index)
    {
        var refs = References(s, "from", index);
        if (refs.Length != 1)
        {
            throw new DarknetFormatException($"[{s.Name}] layer {index} lists {refs.Length} layers in 'from'; expected exactly one.", s.Find("from")!.Location);
        }

        return refs[0];
    }

    private static ImmutableArray<int> References(CfgSectionReader s, string key, int index)
    {
        if (s.Find(key) is not { } option)
        {
            throw new DarknetFormatException($"[{s.Name}] layer {index} has no '{key}='; expected a list of layer indices.", s.Location,
                $"e.g. {key}=-1,61 (negative values count back from this layer).");
        }

        var result = ImmutableArray.CreateBuilder<int>();
        foreach (var item in option.Value.Split(','))
        {
            var value = CfgSection.Atoi(item);
            var absolute = value < 0 ? index + value : value;
            if (absolute < 0 || absolute >= index)
            {
                throw new DarknetFormatException(
                    $"[{s.Name}] layer {index} refers to layer {value} (absolute {absolute}) in '{key}={Echo.Of(option.Value)}'; expected an earlier layer, 0..{index - 1}.",
                    option.Location, "absolute indices count every section after [net] from 0; negative ones count back from this layer.");
            }

            result.Add(absolute);
        }

        return result.ToImmutable();
    }

    private static Activation ParseActivation(CfgSectionReader s, string fallback)
    {
        var option = s.Find("activation");
        var name = option?.Value ?? fallback;
        if (ActivationNames.TryParse(name, out var activation))
        {
            return activation;
        }

        var hint = name switch
        {
            "silu" => "Darknet calls x*sigmoid(x) 'swish'; it would silently use relu for 'silu'.",
            _ when name.Contains('#') => "Darknet keeps inline comments in values; move the comment to a line of its own.",
            _ => "Darknet would silently use relu here; fix the name (leaky, mish, swish, logistic, linear, relu, ...).",
        };
        throw new DarknetFormatException($"[{Echo.Of(s.Name)}] has unknown activation '{Echo.Of(name)}'.", option!.Location, hint);
    }

    // In [sam] and [scale_channels] Darknet applies the generic activate(), which returns 0 for swish and mish.
    private static Activation GenericActivation(CfgSectionReader s)
    {
        var activation = ParseActivation(s, "linear");
        if (activation is Activation.Swish or Activation.Mish or Activation.HardMish or Activation.NormalizeChannels
            or Activation.NormalizeChannelsSoftmax or Activation.NormalizeChannelsSoftmaxMaxval)
        {
            throw new UnsupportedFeatureException(
                $"[{s.Name}] uses activation={ActivationNames.Name(activation)}, which Darknet's CPU code turns into zeros in this layer kind.",
                s.Find("activation")!.Location, "use linear or logistic in this section.");
        }

        return activation;
    }

    private static int Positive(CfgSectionReader s, string key, int fallback, int index, int max)
    {
        var value = s.GetInt(key, fallback);
        if (value < 1 || value > max)
        {
            throw new DarknetFormatException($"[{Echo.Of(s.Name)}] layer {index} has {key}={value}; expected a positive integer up to {max:N0}.",
                s.Find(key)?.Location ?? s.Location, value < 1 ? null : "a value this far out of range is a typo or a damaged file.");
        }

        return value;
    }

    // A float key that must be a finite number (atof of 1e39 is +Inf in float).
    private static float Finite(CfgSectionReader s, string key, float fallback)
    {
        var value = s.GetFloat(key, fallback);
        if (!float.IsFinite(value))
        {
            var option = s.Find(key)!;
            throw new DarknetFormatException($"[{Echo.Of(s.Name)}] has {key}={Echo.Of(option.Value)}, which is not a finite float32; expected a number.", option.Location);
        }

        return value;
    }

    private static void RejectNonZero(CfgSectionReader s, string key, string why)
    {
        if (s.Find(key) is { } option && CfgSection.Atoi(option.Value) != 0)
        {
            throw new UnsupportedFeatureException($"[{Echo.Of(s.Name)}] sets {key}={Echo.Of(option.Value)}, which is not supported: {why}.", option.Location,
                $"remove '{key}' if the model was not trained with it.");
        }
    }
}
