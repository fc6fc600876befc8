using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;
using Yolo4Convert.MetadataContract;

namespace Yolo4Convert.CoreML;

/// <summary>What a write produced.</summary>
public sealed record CoreMLWriteResult(int SpecificationVersion, int LayerCount, int CustomLayerCount, IReadOnlyList<HeadDescription> Heads)
{
    /// <summary>How each convolution's weights were stored (float32, float16, quantized).</summary>
    public WeightEncodingReport? Weights { get; init; }

    /// <summary>The decoding metadata written into the model.</summary>
    public ModelMetadata? Metadata { get; init; }
}

/// <summary>One detection head of a written model: its output name and the head (raw tensor shape, stride, decoding parameters).</summary>
public sealed record HeadDescription(string OutputName, IrHead Head)
{
    /// <summary>The raw head tensor's shape (C×H×W).</summary>
    public TensorShape Shape => Head.Shape;

    /// <summary>Input pixels per grid cell.</summary>
    public int Stride => Head.Stride;
}

/// <summary>
/// Writes a NeuralNetwork .mlmodel: an RGB image input scaled by 1/255 and one multi-array output per detection
/// head holding the raw head tensor (C×H×W), plus the metadata an app needs to decode the heads.
/// Same input gives the same bytes.
/// </summary>
public sealed class CoreMLWriter
{
    private readonly CoreMLWriterOptions _options;

    /// <summary>Creates a writer; the options are checked here, once.</summary>
    public CoreMLWriter(CoreMLWriterOptions? options = null)
    {
        _options = options ?? new CoreMLWriterOptions();
        if (string.IsNullOrWhiteSpace(_options.InputName))
        {
            throw new ArgumentException("the input name must not be empty", nameof(options));
        }

        if (_options.MinimumQuantizedWeights < 0)
        {
            throw new ArgumentException("the quantization threshold must not be negative", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(_options.MishClassName))
        {
            throw new ArgumentException("the Mish class name must not be empty", nameof(options));
        }
    }

    /// <summary>The heads of a network with the output names this writer gives them.</summary>
    public IReadOnlyList<HeadDescription> DescribeHeads(ShapedNetwork shaped) => DescribeHeads(Lower(shaped));

    // A detector's graph: a network without a head would give a model without outputs.
    internal static IrGraph Lower(ShapedNetwork shaped)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        if (!shaped.Network.Heads.Any())
        {
            throw new UnsupportedFeatureException("the network has no [yolo] or [region] layer, so the model would have no output.",
                shaped.Network.Layers[^1].Source, "yolo4convert converts detectors; add the detection head to the cfg.");
        }

        return DarknetLowering.Lower(shaped);
    }

    /// <summary>The heads of a lowered network with the output names this writer gives them.</summary>
    internal IReadOnlyList<HeadDescription> DescribeHeads(IrGraph graph)
    {
        var heads = graph.Heads;

        if (_options.OutputNames is { } names && names.Count != heads.Length)
        {
            throw new ArgumentException($"{names.Count} output names were given for {heads.Length} detection heads", nameof(graph));
        }

        var result = new List<HeadDescription>();
        foreach (var (head, i) in heads.Select((h, i) => (h, i)))
        {
            var name = _options.OutputNames?[i] ?? $"head_s{head.Stride}";
            if (_options.OutputNames is null && heads.Count(h => h.Stride == head.Stride) > 1)
            {
                name = $"head_s{head.Stride}_{head.Layer}";
            }

            result.Add(new HeadDescription(name, head));
        }

        var all = result.Select(h => h.OutputName).Append(_options.InputName).ToList();
        if (all.Distinct(StringComparer.Ordinal).Count() != all.Count)
        {
            throw new ArgumentException($"input and output names must be distinct: {string.Join(", ", all)}", nameof(graph));
        }

        return result;
    }

    /// <summary>
    /// Lowers the network and streams it to <paramref name="stream"/>, reading each convolution's weights from
    /// <paramref name="weights"/> as it is written: memory stays flat however large the model.
    /// </summary>
    public CoreMLWriteResult Write(ShapedNetwork shaped, ConvWeightsSource weights, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(stream);
        var (layout, result) = Layout(shaped);
        layout.Write(weights, stream);
        return result;
    }

    /// <summary>Lowers and serialises the network, whose weights are in memory, to <paramref name="stream"/>.</summary>
    public CoreMLWriteResult Write(WeightedNetwork weighted, ShapedNetwork shaped, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        return Write(shaped, ConvWeightsSource.From(weighted), stream);
    }

    /// <summary>The complete message, built the ordinary way (the reference for the streamed bytes).</summary>
    internal (Model Model, CoreMLWriteResult Result) Build(WeightedNetwork weighted, ShapedNetwork shaped)
    {
        var (layout, result) = Layout(shaped);
        return (layout.Fill(ConvWeightsSource.From(weighted)), result);
    }

    /// <summary>The model without its convolution weights, and what the write will report.</summary>
    internal (ModelLayout Layout, CoreMLWriteResult Result) Layout(ShapedNetwork shaped)
    {
        var graph = Lower(shaped);
        var heads = DescribeHeads(graph);
        var net = graph.Net;
        CheckChannels(shaped);
        var emitter = new NeuralNetworkLowering(graph, _options, heads);
        var nn = emitter.Emit();
        nn.Preprocessing.Add(new NeuralNetworkPreprocessing
        {
            FeatureName = _options.InputName,
            Scaler = new NeuralNetworkImageScaler { ChannelScale = 1f / 255f },
        });

        // Custom layers and float16 weights arrived with specification version 2 (iOS 11.2), quantized weights
        // with 3 (iOS 12); everything else we emit is version 1.
        var weights = emitter.Weights.Report;
        var version = Math.Max(emitter.CustomLayers > 0 ? 2 : 1, weights.SpecificationVersion);
        var (metadata, typed) = Metadata(graph, heads);
        var description = new ModelDescription { Metadata = metadata };
        description.Input.Add(InputDescription(net));
        foreach (var head in heads)
        {
            description.Output.Add(OutputDescription(head, [head.Shape.C, head.Shape.H, head.Shape.W]));
        }

        var model = new Model { SpecificationVersion = version, Description = description, NeuralNetwork = nn };
        return (new ModelLayout(model, emitter.Slots, emitter.Weights, _options.BatchNormEpsilon),
            new CoreMLWriteResult(version, nn.Layers.Count, emitter.CustomLayers, heads) { Weights = weights, Metadata = typed });
    }

    /// <summary>Refuses an input that a Core ML image cannot be.</summary>
    internal static void CheckChannels(ShapedNetwork shaped)
    {
        if (shaped.Network.Net.Channels is not (1 or 3))
        {
            throw new UnsupportedFeatureException($"[net] has channels={shaped.Network.Net.Channels}; a Core ML image input has 1 (grayscale) or 3 (RGB) channels.",
                shaped.Network.Layers[0].Source);
        }
    }

    /// <summary>The image input's description: RGB or grayscale, the cfg's size.</summary>
    internal FeatureDescription InputDescription(NetOptions net) => new()
    {
        Name = _options.InputName,
        ShortDescription = $"{(net.Channels == 3 ? "RGB" : "grayscale")} image, {net.Width}x{net.Height}, {(net.LetterBox ? "letterboxed" : "stretched")} to this size as Darknet does",
        Type = new FeatureType
        {
            ImageType = new ImageFeatureType
            {
                Width = net.Width,
                Height = net.Height,
                ColorSpace = net.Channels == 3 ? ImageFeatureType.Types.ColorSpace.Rgb : ImageFeatureType.Types.ColorSpace.Grayscale,
            },
        },
    };

    /// <summary>A raw head output's description: a float32 multi-array of <paramref name="shape"/>.</summary>
    internal static FeatureDescription OutputDescription(HeadDescription head, long[] shape)
    {
        var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Float32 };
        array.Shape.Add(shape);
        return new FeatureDescription
        {
            Name = head.OutputName,
            ShortDescription = $"raw [{head.Head.KindName}] head of layer {head.Head.Layer}: {head.Shape.C}x{head.Shape.H}x{head.Shape.W} (CxHxW), stride {head.Stride}; decode with the metadata",
            Type = new FeatureType { MultiArrayType = array },
        };
    }

    /// <summary>The model metadata: the keys every consumer of our models decodes the heads with (shared by every Core ML format).</summary>
    internal (Metadata Message, ModelMetadata Typed) Metadata(IrGraph graph, IReadOnlyList<HeadDescription> heads)
    {
        var classes = heads[0].Head.Classes;
        if (_options.ClassNames is { } names && names.Count != classes)
        {
            throw new DarknetFormatException($"the names file lists {names.Count} classes; the cfg's heads have classes={classes}.", null,
                "pass the names file the model was trained with.");
        }

        var typed = ModelMetadata.From(graph, heads.Select(h => (h.OutputName, h.Head)), _options.ClassNames);
        var meta = new Metadata
        {
            Author = _options.Author,
            License = _options.License,
            ShortDescription = _options.Description ?? typed.Description(graph.SourceName, nms: null),
        };
        typed.Write(meta.UserDefined);
        foreach (var (k, v) in _options.UserDefined ?? new Dictionary<string, string>())
        {
            meta.UserDefined[k] = v;
        }

        return (meta, typed);
    }
}
