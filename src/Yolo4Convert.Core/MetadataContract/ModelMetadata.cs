using System.Collections.Immutable;
using System.Globalization;
using Yolo4Convert.CoreML;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.MetadataContract;

/// <summary>
/// How to decode one raw head, as the model's metadata stores it (keys <c>head.NAME.*</c>).
/// </summary>
/// <param name="OutputName">The output (or, in a pipeline, the decoder stage's blob) holding the raw head.</param>
/// <param name="Kind">[yolo], [region] or [Gaussian_yolo].</param>
/// <param name="Layer">The Darknet layer index of the head (null when a model does not say).</param>
/// <param name="Classes">The class count.</param>
/// <param name="Anchors">This head's width,height pairs: pixels for [yolo] and [Gaussian_yolo], grid cells for [region].</param>
/// <param name="Mask">[yolo], [Gaussian_yolo]: the indices of this head's anchors in the cfg's list (empty when not stored).</param>
/// <param name="ScaleXY">[yolo], [Gaussian_yolo] scale_x_y (1 for [region]).</param>
/// <param name="NewCoords">[yolo] new_coords=1.</param>
/// <param name="Softmax">[region] softmax=1.</param>
/// <param name="Grid">The grid (width, height), when stored.</param>
/// <param name="Stride">Input pixels per grid cell, when stored.</param>
public sealed record StoredHead(
    string OutputName, HeadKind Kind, int? Layer, int Classes, ImmutableArray<float> Anchors, ImmutableArray<int> Mask,
    float ScaleXY, bool NewCoords, bool Softmax, (int Width, int Height)? Grid, int? Stride)
{
    /// <summary>The name of the kind in the metadata ("yolo", "region" or "gaussian_yolo").</summary>
    public string KindName => HeadKinds.MetadataName(Kind);

    /// <summary>Anchor boxes of this head.</summary>
    public int AnchorCount => Anchors.Length / 2;

    /// <summary>The entries per anchor: 5 + K, or 9 + K for [Gaussian_yolo] (x, σx, y, σy, w, σw, h, σh, objectness, classes).</summary>
    public int Entries => HeadKinds.Entries(Kind, Classes);

    /// <summary>Whether the head picks its anchors with a mask and has scale_x_y ([yolo], [Gaussian_yolo]).</summary>
    public bool Masked => Kind != HeadKind.Region;

    /// <summary>The head of a lowered graph under its output name.</summary>
    public static StoredHead From(string outputName, IrHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return new(outputName, head.Kind, head.Layer, head.Classes, head.Anchors, head.Kind != HeadKind.Region ? head.Mask : [],
            head.Kind != HeadKind.Region ? head.ScaleXY : 1f, head.Kind == HeadKind.Yolo && head.NewCoords, head.Kind == HeadKind.Region && head.Softmax,
            (head.Shape.W, head.Shape.H), head.Stride);
    }
}

/// <summary>What the pipeline's non-maximum suppression stage was written with (keys <c>nms.*</c>).</summary>
/// <param name="IouThreshold">The default IoU threshold.</param>
/// <param name="ConfidenceThreshold">The default confidence threshold.</param>
/// <param name="Boxes">Candidate boxes the decoder produces.</param>
/// <param name="Classes">Classes per box.</param>
public sealed record NmsMetadata(double IouThreshold, double ConfidenceThreshold, int Boxes, int Classes)
{
    /// <summary>Adds the <c>nms.*</c> keys (and Xcode's preview type) after whatever is there.</summary>
    public void Write(IDictionary<string, string> userDefined)
    {
        ArgumentNullException.ThrowIfNull(userDefined);
        userDefined[MetadataKeys.Nms] = "1";
        userDefined[MetadataKeys.NmsPerClass] = "1";
        userDefined[MetadataKeys.NmsIouThreshold] = MetadataKeys.Str(IouThreshold);
        userDefined[MetadataKeys.NmsConfidenceThreshold] = MetadataKeys.Str(ConfidenceThreshold);
        userDefined[MetadataKeys.NmsBoxes] = MetadataKeys.Str(Boxes);
        userDefined[MetadataKeys.NmsClasses] = MetadataKeys.Str(Classes);
        userDefined[MetadataKeys.PreviewType] = "objectDetector";
    }

    /// <summary>The <c>nms.*</c> keys of a model; null when it has none, a located error when one is damaged.</summary>
    public static NmsMetadata? Read(IReadOnlyDictionary<string, string> userDefined)
    {
        ArgumentNullException.ThrowIfNull(userDefined);
        var r = new MetadataReader(userDefined);
        if (r.Optional(MetadataKeys.Nms) is null)
        {
            return null;
        }

        return new NmsMetadata(
            r.Double(MetadataKeys.NmsIouThreshold, r.Required(MetadataKeys.NmsIouThreshold)),
            r.Double(MetadataKeys.NmsConfidenceThreshold, r.Required(MetadataKeys.NmsConfidenceThreshold)),
            r.Int(MetadataKeys.NmsBoxes, r.Required(MetadataKeys.NmsBoxes), 0, int.MaxValue, "a box count"),
            r.Int(MetadataKeys.NmsClasses, r.Required(MetadataKeys.NmsClasses), 1, ModelMetadata.MaxClasses, "a class count from 1 to 100,000"));
    }
}

/// <summary>
/// The decoding contract between a written model and whoever reads it: the input size and resize mode, every head's
/// decoding parameters, and the class names. One writer (<see cref="Write"/>, used by every target) and one reader
/// (<see cref="Read(IReadOnlyDictionary{string, string}, IEnumerable{ValueTuple{string, TensorShape}})"/>, used by
/// the runtime and the commands), whose errors name the key and the form expected.
/// </summary>
/// <param name="InputWidth">The input width (null when a model does not say).</param>
/// <param name="InputHeight">The input height (null when a model does not say).</param>
/// <param name="Letterbox">Whether the image is letterboxed (else stretched) to the input size.</param>
/// <param name="Heads">The heads, in output order.</param>
/// <param name="ClassNames">The class names, when stored.</param>
public sealed record ModelMetadata(int? InputWidth, int? InputHeight, bool Letterbox, ImmutableArray<StoredHead> Heads, IReadOnlyList<string>? ClassNames)
{
    /// <summary>The largest class count a head may declare.</summary>
    public const int MaxClasses = 100_000;

    /// <summary>The channel layout per anchor of a gaussian_yolo head, as key <c>head.NAME.entries</c> states it.</summary>
    public const string GaussianEntries = "x,sigma_x,y,sigma_y,w,sigma_w,h,sigma_h,objectness,classes";

    private const int MaxSize = 1 << 20;

    /// <summary>
    /// How Darknet's detector test suppresses overlapping boxes for this model (keys <c>darknet.nms_kind</c>,
    /// <c>darknet.beta_nms</c>): the setting of the cfg's last head. Models written without the keys get plain IoU NMS.
    /// </summary>
    public DarknetNms Nms { get; init; } = DarknetNms.Default;

    /// <summary>The metadata of a lowered graph whose heads get the given output names.</summary>
    public static ModelMetadata From(IrGraph graph, IEnumerable<(string OutputName, IrHead Head)> heads, IReadOnlyList<string>? classNames)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(heads);
        return new(graph.Net.Width, graph.Net.Height, graph.Net.LetterBox, [.. heads.Select(h => StoredHead.From(h.OutputName, h.Head))], classNames)
        {
            // test_detector (src/detector.c) takes nms_kind and beta_nms from the last detection layer.
            Nms = graph.Heads.OrderBy(h => h.Layer).LastOrDefault()?.Nms ?? DarknetNms.Default,
        };
    }

    /// <summary>The class count of the first head.</summary>
    public int Classes => Heads.IsEmpty ? 0 : Heads[0].Classes;

    /// <summary>The generated short description: "Darknet YOLO detector (x.cfg): 416x416 input, 80 classes, 2 raw heads." or, for a pipeline, what it decodes.</summary>
    public string Description(string sourceName, NmsMetadata? nms) =>
        $"Darknet YOLO detector ({Path.GetFileName(sourceName)}): {InputWidth}x{InputHeight} input, {Classes} classes, {Heads.Length}"
        + (nms is null ? " raw heads."
            : $" heads decoded in the model ({nms.Boxes} candidate boxes) and suppressed per class (Vision object detector).");

    /// <summary>Writes the keys, in the order every yolo4convert model has them.</summary>
    public void Write(IDictionary<string, string> userDefined)
    {
        ArgumentNullException.ThrowIfNull(userDefined);
        var u = userDefined;
        u[MetadataKeys.Converter] = "yolo4convert";
        u[MetadataKeys.InputWidth] = MetadataKeys.Str(InputWidth ?? throw new InvalidOperationException("metadata without an input width"));
        u[MetadataKeys.InputHeight] = MetadataKeys.Str(InputHeight ?? throw new InvalidOperationException("metadata without an input height"));
        u[MetadataKeys.InputResize] = Letterbox ? MetadataKeys.Letterbox : MetadataKeys.Stretch;
        u[MetadataKeys.InputScale] = "1/255";
        u[MetadataKeys.Heads] = string.Join(",", Heads.Select(h => h.OutputName));
        foreach (var h in Heads)
        {
            string K(string field) => MetadataKeys.Head(h.OutputName, field);
            u[K(MetadataKeys.Type)] = h.KindName;
            u[K(MetadataKeys.Layer)] = MetadataKeys.Str(h.Layer ?? throw new InvalidOperationException($"head {h.OutputName} without a layer"));
            u[K(MetadataKeys.Classes)] = MetadataKeys.Str(h.Classes);
            var grid = h.Grid ?? throw new InvalidOperationException($"head {h.OutputName} without a grid");
            u[K(MetadataKeys.Grid)] = $"{MetadataKeys.Str(grid.Width)}x{MetadataKeys.Str(grid.Height)}";
            u[K(MetadataKeys.Stride)] = MetadataKeys.Str(h.Stride ?? throw new InvalidOperationException($"head {h.OutputName} without a stride"));
            if (h.Masked)
            {
                u[K(MetadataKeys.Mask)] = string.Join(",", h.Mask.Select(MetadataKeys.Str));
                u[K(MetadataKeys.Anchors)] = string.Join(",", h.Anchors.Select(MetadataKeys.Str));
                u[K(MetadataKeys.ScaleXY)] = MetadataKeys.Str(h.ScaleXY);
                if (h.Kind == HeadKind.Yolo)
                {
                    u[K(MetadataKeys.NewCoords)] = h.NewCoords ? "1" : "0";
                }
                else
                {
                    u[K(MetadataKeys.Entries)] = GaussianEntries;
                }
            }
            else
            {
                u[K(MetadataKeys.Num)] = MetadataKeys.Str(h.AnchorCount);
                u[K(MetadataKeys.Anchors)] = string.Join(",", h.Anchors.Select(MetadataKeys.Str));
                u[K(MetadataKeys.Softmax)] = h.Softmax ? "1" : "0";
            }
        }

        u[MetadataKeys.NmsKind] = Nms.Name;
        u[MetadataKeys.BetaNms] = MetadataKeys.Str(Nms.Beta);
        if (ClassNames is { } names)
        {
            u[ClassNamesMetadata.Key] = ClassNamesMetadata.Encode(names);
        }
    }

    /// <summary>The head names a model's metadata lists (key <c>heads</c>), without checking anything else.</summary>
    public static IReadOnlyList<string> HeadNames(IReadOnlyDictionary<string, string> userDefined)
    {
        ArgumentNullException.ThrowIfNull(userDefined);
        return userDefined.TryGetValue(MetadataKeys.Heads, out var names) ? names.Split(',') : [];
    }

    /// <summary>Reads a loaded model's metadata, checked against its outputs.</summary>
    public static ModelMetadata Read(ModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return Read(info.UserDefined, info.Outputs);
    }

    /// <summary>
    /// Reads the metadata and checks it against the model's outputs (each head an output with
    /// anchors × (classes + 5) channels, classes + 9 for a gaussian_yolo head), so decoding cannot misread. Every damaged value is a
    /// <see cref="ModelFormatException"/> naming its key and the form expected.
    /// </summary>
    public static ModelMetadata Read(IReadOnlyDictionary<string, string> userDefined, IEnumerable<(string Name, TensorShape Shape)> outputs)
    {
        ArgumentNullException.ThrowIfNull(userDefined);
        ArgumentNullException.ThrowIfNull(outputs);
        var r = new MetadataReader(userDefined);
        var outputList = outputs.ToList();
        var heads = ImmutableArray.CreateBuilder<StoredHead>();
        foreach (var name in r.Required(MetadataKeys.Heads).Split(','))
        {
            if (name.Length == 0)
            {
                throw r.Bad(MetadataKeys.Heads, "comma-separated names of the model's outputs");
            }

            var head = ReadHead(r, name);
            var output = outputList.FirstOrDefault(o => o.Name == name);
            if (output.Name is null)
            {
                throw r.Bad(MetadataKeys.Heads, $"names of the model's outputs ({string.Join(",", outputList.Select(o => Echo.Of(o.Name)))}); '{Echo.Of(name)}' is none");
            }

            if (output.Shape.C != (long)head.AnchorCount * head.Entries)
            {
                throw new ModelFormatException(
                    $"output '{Echo.Of(name)}' has {output.Shape.C} channels, but its metadata describes {head.AnchorCount} anchors × (classes={head.Classes} + {head.Entries - head.Classes}).", null,
                    "convert the model with yolo4convert to get decodable metadata.");
            }

            heads.Add(head);
        }

        var resize = r.Optional(MetadataKeys.InputResize);
        if (resize is not (null or MetadataKeys.Letterbox or MetadataKeys.Stretch))
        {
            throw r.Bad(MetadataKeys.InputResize, $"'{MetadataKeys.Letterbox}' or '{MetadataKeys.Stretch}'");
        }

        return new ModelMetadata(
            r.OptionalInt(MetadataKeys.InputWidth, 1, MaxSize, "a width in pixels"),
            r.OptionalInt(MetadataKeys.InputHeight, 1, MaxSize, "a height in pixels"),
            resize == MetadataKeys.Letterbox,
            heads.ToImmutable(),
            r.Optional(ClassNamesMetadata.Key) is { } stored ? ClassNamesMetadata.Decode(stored) : null)
        {
            Nms = ReadNms(r),
        };
    }

    // Absent keys (models converted before they existed) mean Darknet's default: plain IoU.
    private static DarknetNms ReadNms(MetadataReader r)
    {
        var kind = r.Optional(MetadataKeys.NmsKind) is { } text
            ? DarknetNms.Parse(text) ?? throw r.Bad(MetadataKeys.NmsKind, "'default', 'greedynms', 'diounms' or 'cornersnms'")
            : DarknetNmsKind.Default;
        var beta = r.Optional(MetadataKeys.BetaNms) is { } b ? r.Float(MetadataKeys.BetaNms, b) : DarknetNms.DefaultBeta;
        return new DarknetNms(kind, beta);
    }

    private static StoredHead ReadHead(MetadataReader r, string name)
    {
        string K(string field) => MetadataKeys.Head(name, field);
        var kind = r.Required(K(MetadataKeys.Type)) switch
        {
            "yolo" => HeadKind.Yolo,
            "region" => HeadKind.Region,
            "gaussian_yolo" => HeadKind.GaussianYolo,
            _ => throw r.Bad(K(MetadataKeys.Type), "'yolo', 'region' or 'gaussian_yolo'"),
        };
        var classes = r.Int(K(MetadataKeys.Classes), r.Required(K(MetadataKeys.Classes)), 1, MaxClasses, "a class count from 1 to 100,000");
        ImmutableArray<float> anchors = [.. r.Required(K(MetadataKeys.Anchors)).Split(',').Select(a => r.Float(K(MetadataKeys.Anchors), a))];
        if (anchors.Length % 2 != 0)
        {
            throw r.Bad(K(MetadataKeys.Anchors), "width,height pairs");
        }

        var yolo = kind != HeadKind.Region;
        if (kind == HeadKind.GaussianYolo && r.Optional(K(MetadataKeys.Entries)) is { } entries && entries != GaussianEntries)
        {
            throw r.Bad(K(MetadataKeys.Entries), $"'{GaussianEntries}' (the channel layout per anchor)");
        }

        ImmutableArray<int> mask = yolo && r.Optional(K(MetadataKeys.Mask)) is { } m
            ? [.. m.Split(',').Select(t => r.Int(K(MetadataKeys.Mask), t, 0, int.MaxValue, "comma-separated anchor indices"))]
            : [];
        if (!yolo && r.OptionalInt(K(MetadataKeys.Num), 0, int.MaxValue, "an anchor count") is { } num && num != anchors.Length / 2)
        {
            throw r.Bad(K(MetadataKeys.Num), $"the number of anchor pairs ({anchors.Length / 2})");
        }

        return new StoredHead(
            name, kind,
            r.OptionalInt(K(MetadataKeys.Layer), 0, int.MaxValue, "a Darknet layer index (0 or more)"),
            classes, anchors, mask,
            yolo ? r.Float(K(MetadataKeys.ScaleXY), r.Required(K(MetadataKeys.ScaleXY))) : 1f,
            kind == HeadKind.Yolo && r.Flag(K(MetadataKeys.NewCoords)),
            !yolo && r.Flag(K(MetadataKeys.Softmax)),
            r.Optional(K(MetadataKeys.Grid)) is { } g ? Grid(r, K(MetadataKeys.Grid), g) : null,
            r.OptionalInt(K(MetadataKeys.Stride), 1, MaxSize, "input pixels per grid cell"));
    }

    private static (int Width, int Height) Grid(MetadataReader r, string key, string text)
    {
        var parts = text.Split('x');
        const string Expected = "WIDTHxHEIGHT in grid cells";
        return parts.Length == 2 ? (r.Int(key, parts[0], 1, MaxSize, Expected), r.Int(key, parts[1], 1, MaxSize, Expected)) : throw r.Bad(key, Expected);
    }
}

/// <summary>The userDefined metadata keys yolo4convert writes, in one place.</summary>
public static class MetadataKeys
{
#pragma warning disable CS1591 // The names say it.
    public const string Converter = "converter";
    public const string InputWidth = "input.width";
    public const string InputHeight = "input.height";
    public const string InputResize = "input.resize";
    public const string InputScale = "input.scale";
    public const string Heads = "heads";
    public const string Letterbox = "letterbox";
    public const string Stretch = "stretch";
    public const string Type = "type";
    public const string Layer = "layer";
    public const string Classes = "classes";
    public const string Grid = "grid";
    public const string Stride = "stride";
    public const string Mask = "mask";
    public const string Anchors = "anchors";
    public const string ScaleXY = "scale_x_y";
    public const string NewCoords = "new_coords";
    public const string Entries = "entries";
    public const string Num = "num";
    public const string Softmax = "softmax";
    public const string Nms = "nms";
    public const string NmsPerClass = "nms.per_class";
    public const string NmsIouThreshold = "nms.iou_threshold";
    public const string NmsConfidenceThreshold = "nms.confidence_threshold";
    public const string NmsBoxes = "nms.boxes";
    public const string NmsClasses = "nms.classes";
    public const string NmsKind = "darknet.nms_kind";
    public const string BetaNms = "darknet.beta_nms";
    public const string PreviewType = "com.apple.coreml.model.preview.type";
#pragma warning restore CS1591

    /// <summary>The key of a head's field: <c>head.NAME.FIELD</c>.</summary>
    public static string Head(string outputName, string field) => $"head.{outputName}.{field}";

    internal static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    internal static string Str(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    internal static string Str(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
