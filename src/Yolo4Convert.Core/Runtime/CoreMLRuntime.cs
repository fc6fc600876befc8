using System.Collections.Immutable;
using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime.Ops;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Runtime;

/// <summary>
/// A CPU executor for the Core ML NeuralNetwork models yolo4convert writes: it parses the .mlmodel with our
/// generated protobuf types, checks that every layer is one it can run, and evaluates it in float32.
/// Layers follow Core ML's documented semantics (padding amounts, -inf padding for max pooling, rank-5 broadcasting),
/// not Darknet's, so it checks the writer's lowering rather than repeating it.
/// </summary>
public sealed class CoreMLRuntime : IModelRuntime
{
    private readonly NeuralNetwork _network;
    private readonly NeuralNetworkImageScaler _scaler;
    private readonly LivenessPlan _liveness;
    private readonly IRuntimeOp[] _ops;
    private TensorPool? _pool;
    private readonly Dictionary<NeuralNetworkLayer, ConvKernel> _kernels = new(ReferenceEqualityComparer.Instance);
    private readonly Lazy<Dictionary<NeuralNetworkLayer, ConvKernel>> _halfKernels;

    private CoreMLRuntime(Model model, string fileName, KernelExtractor kernels)
    {
        if (model.TypeCase != Model.TypeOneofCase.NeuralNetwork)
        {
            throw new UnsupportedFeatureException($"the model is a '{model.TypeCase}' model; the runtime runs NeuralNetwork models only.",
                new SourceLocation(fileName));
        }

        _network = model.NeuralNetwork;
        var description = model.Description ?? throw new ModelFormatException("the model has no description.", new SourceLocation(fileName));
        if (description.Input.Count != 1 || description.Input[0].Type?.TypeCase != FeatureType.TypeOneofCase.ImageType)
        {
            throw new UnsupportedFeatureException("the runtime runs models with exactly one image input.", new SourceLocation(fileName));
        }

        var input = description.Input[0];
        var image = input.Type.ImageType;
        var outputs = ImmutableArray.CreateBuilder<(string, TensorShape)>();
        foreach (var o in description.Output)
        {
            if (o.Type?.TypeCase != FeatureType.TypeOneofCase.MultiArrayType || o.Type.MultiArrayType.Shape.Count is < 1 or > 3)
            {
                throw new UnsupportedFeatureException($"output '{Echo.Of(o.Name)}' is not a multi-array of rank 1 to 3; the runtime expects raw C×H×W heads or decoded rows.", new SourceLocation(fileName));
            }

            if (o.Type.MultiArrayType.Shape.Any(d => d is < 1 or > int.MaxValue))
            {
                throw new ModelFormatException($"output '{Echo.Of(o.Name)}' is declared [{string.Join(",", o.Type.MultiArrayType.Shape)}]; expected positive sizes.", new SourceLocation(fileName),
                    "the file is damaged or not a model written by yolo4convert.");
            }

            // A rank-2 [rows, columns] output (decoded boxes) is read from a [rows, columns, 1] blob, as Core ML does.
            var s = o.Type.MultiArrayType.Shape.Select(d => (int)d).Concat([1, 1]).ToArray();
            outputs.Add((o.Name, new TensorShape(s[0], s[1], s[2])));
        }

        if (image.Width is < 1 or > int.MaxValue || image.Height is < 1 or > int.MaxValue)
        {
            throw new ModelFormatException($"the image input '{Echo.Of(input.Name)}' is {image.Width}x{image.Height}; expected positive sides.", new SourceLocation(fileName),
                "the file is damaged or not a model written by yolo4convert.");
        }

        _scaler = _network.Preprocessing.FirstOrDefault(p => p.FeatureName == input.Name)?.Scaler ?? new NeuralNetworkImageScaler { ChannelScale = 1f };
        Info = new ModelInfo(
            input.Name, (int)image.Width, (int)image.Height,
            image.ColorSpace == ImageFeatureType.Types.ColorSpace.Grayscale,
            image.ColorSpace == ImageFeatureType.Types.ColorSpace.Bgr,
            outputs.ToImmutable(), model.SpecificationVersion,
            description.Metadata?.UserDefined.ToImmutableDictionary() ?? ImmutableDictionary<string, string>.Empty,
            description.Metadata?.ShortDescription ?? string.Empty);

        foreach (var layer in _network.Layers)
        {
            if (kernels.KernelOf(layer) is { } kernel)
            {
                _kernels[layer] = kernel;
            }
        }

        StoredWeights = WeightFormat.Coarsest(_network.Layers.Where(l => l.LayerCase == NeuralNetworkLayer.LayerOneofCase.Convolution)
            .Select(kernels.FormatOf).OfType<WeightFormat>());
        _halfKernels = new(() => new(_kernels.Select(k => KeyValuePair.Create(k.Key, k.Value.Map(Half))), ReferenceEqualityComparer.Instance));
        BlobShapes = CoreMLModelValidator.Validate(_network, Info, fileName);
        _ops = [.. _network.Layers.Select(RuntimeOps.Of)];
        _liveness = LivenessPlan.For(_network.Layers, Info.Outputs.Select(o => o.Name));
    }

    /// <summary>The model's interface and metadata.</summary>
    public ModelInfo Info { get; }

    /// <summary>The shape of every blob as the validator inferred it (null where it could not follow).</summary>
    internal IReadOnlyDictionary<string, TensorShape?> BlobShapes { get; }

    /// <summary>The coarsest format of the stored convolution weights.</summary>
    public WeightFormat StoredWeights { get; }

    /// <summary>Loads a model written by yolo4convert (or any model using the same layer subset).</summary>
    public static CoreMLRuntime Load(Stream stream, string fileName)
    {
        var kernels = new KernelExtractor();
        return new CoreMLRuntime(Read(stream, fileName, kernels), fileName, kernels);
    }

    /// <summary>
    /// Reads a model layer by layer, <paramref name="kernels"/> taking each convolution's weights as it comes
    /// (<see cref="ModelStreamReader"/>), and checks that it is a Core ML model.
    /// </summary>
    internal static Model Read(Stream stream, string fileName, KernelExtractor kernels)
    {
        Model model;
        try
        {
            model = ModelStreamReader.Read(stream, fileName, kernels.Take);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelFormatException($"the file is not a valid .mlmodel ({ex.Message}).", new SourceLocation(fileName),
                "pass a .mlmodel written by yolo4convert or coremltools.");
        }

        if (model.SpecificationVersion <= 0)
        {
            throw new ModelFormatException("the model has no specificationVersion; this is not a Core ML model.", new SourceLocation(fileName));
        }

        return model;
    }

    /// <summary>Loads a model from a file.</summary>
    public static CoreMLRuntime Load(InputFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = file.Open();
        return Load(stream, file.Name);
    }

    /// <summary>
    /// Runs the model on an image given as pixel values 0..255, RGB (or gray), CHW, already at the input size.
    /// The model's preprocessing (channel scale and biases) is applied here, as Core ML does.
    /// With <see cref="ComputePrecision.Fp16"/> the input, weights and every layer's output are rounded to half.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, ComputePrecision precision = ComputePrecision.Fp32) => Run(pixels, [], precision);

    /// <summary>Runs the model and also returns the internal blobs named in <paramref name="keep"/> (e.g. raw heads).</summary>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, IReadOnlyCollection<string> keep, ComputePrecision precision = ComputePrecision.Fp32) => Run(pixels, keep, precision, null);

    /// <inheritdoc/>
    public IReadOnlyList<ComputedValue> ComputedValues => [.. _network.Layers.Select(l => new ComputedValue(l.Name, l.Output[0]))];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, IReadOnlyCollection<string> keep, ComputePrecision precision, Action<string, Tensor>? observe)
    {
        ArgumentNullException.ThrowIfNull(keep);
        Info.CheckInput(pixels);

        var half = precision == ComputePrecision.Fp16;
        // The buffers of the previous run are reused; a concurrent run gets a pool of its own.
        var pool = Interlocked.Exchange(ref _pool, null) ?? new TensorPool();
        var context = new RunContext(pool, half ? _halfKernels.Value : _kernels);
        var kept = keep.ToHashSet(StringComparer.Ordinal);
        var blobs = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [Info.InputName] = RoundIf(half, Preprocess(pixels)) };
        for (var i = 0; i < _network.Layers.Count; i++)
        {
            var layer = _network.Layers[i];
            var inputs = layer.Input.Select(n => blobs.TryGetValue(n, out var t) ? t
                : throw new ModelFormatException($"layer '{layer.Name}' reads blob '{n}', which no earlier layer produces.", null)).ToArray();
            var output = blobs[layer.Output[0]] = RoundIf(half, _ops[i].Run(layer, inputs, context));
            observe?.Invoke(layer.Output[0], output);
            Release(blobs, _liveness.ReleaseAfter[i].Where(n => !kept.Contains(n)), pool);
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in Info.Outputs)
        {
            if (!blobs.TryGetValue(name, out var t))
            {
                throw new ModelFormatException($"the model declares output '{name}', but no layer produces it.", null);
            }

            result[name] = t.Shape == shape ? t
                : t.Shape.Count == shape.Count ? new Tensor(shape, t.Data)
                : throw new ModelFormatException($"output '{name}' is declared {shape} but computes {t.Shape}.", null);
        }

        foreach (var name in keep)
        {
            result[name] = blobs.TryGetValue(name, out var t) ? t
                : throw new ModelFormatException($"the model has no blob named '{name}'.", null);
        }

        _pool = pool;
        return result;
    }

    /// <summary>
    /// A runtime for a NeuralNetwork model or one stage of a pipeline; <paramref name="kernels"/> holds the weights
    /// taken while the model was read, if it was read by <see cref="Read"/>.
    /// </summary>
    internal static CoreMLRuntime ForStage(Model model, string fileName, KernelExtractor? kernels = null) => new(model, fileName, kernels ?? new KernelExtractor());

    // Hands the buffers of dead blobs back to the pool, unless a live blob still shares the array (a view).
    private static void Release(Dictionary<string, Tensor> blobs, IEnumerable<string> dead, TensorPool pool)
    {
        foreach (var name in dead)
        {
            if (blobs.Remove(name, out var tensor) && !blobs.Values.Any(t => ReferenceEquals(t.Data, tensor.Data)))
            {
                pool.Return(tensor.Data);
            }
        }
    }

    private static float[] Half(float[] values)
    {
        var copy = (float[])values.Clone();
        HalfPrecision.Round(copy);
        return copy;
    }

    // The half-precision emulation's one hook: a layer's output is stored as half.
    private static Tensor RoundIf(bool half, Tensor t)
    {
        if (half)
        {
            HalfPrecision.Round(t.Data);
        }

        return t;
    }

    private Tensor Preprocess(Tensor pixels)
    {
        var result = new Tensor(pixels.Shape);
        var plane = pixels.H * pixels.W;
        for (var c = 0; c < pixels.C; c++)
        {
            // Core ML matches biases by colour name; a BGR model receives the planes in B, G, R order.
            var rgbIndex = Info.Bgr ? 2 - c : c;
            var bias = Info.Grayscale ? _scaler.GrayBias : rgbIndex switch { 0 => _scaler.RedBias, 1 => _scaler.GreenBias, _ => _scaler.BlueBias };
            var source = pixels.Data.AsSpan(rgbIndex * plane, plane);
            var target = result.Data.AsSpan(c * plane, plane);
            for (var i = 0; i < plane; i++)
            {
                target[i] = (_scaler.ChannelScale * source[i]) + bias;
            }
        }

        return result;
    }
}
