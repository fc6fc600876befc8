using System.Collections.Concurrent;
using System.Collections.Immutable;
using CoreML.Specification;
using CoreML.Specification.MILSpec;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime.Ops;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// An interpreter of an ML Program package's <c>main</c> function (batch 1, float32 compute): constants are read
/// once at load (inline or from weight.bin), every operation's shape is inferred and checked against its declared
/// type before anything runs, then a run evaluates the operations in order. Values declared FLOAT16 are rounded to
/// half as they are produced, so an fp16 program computes as the half-precision emulation does; with
/// <see cref="ComputePrecision.Fp16"/> every value is rounded, as the NeuralNetwork runtime does.
/// </summary>
public sealed class MLProgramRuntime : IModelRuntime
{
    private readonly Step[] _steps;
    private readonly Dictionary<string, MilValue> _constants;
    private readonly Lazy<Dictionary<string, MilValue>> _halfConstants;
    private readonly Dictionary<string, int> _lastUse;
    private readonly ConcurrentDictionary<(Operation, bool), ConvKernel> _kernels = new();
    private readonly string _inputName;

    private MLProgramRuntime(ModelInfo info, Weights.WeightFormat storedWeights, Step[] steps, Dictionary<string, MilValue> constants, string inputName)
    {
        Info = info;
        StoredWeights = storedWeights;
        _steps = steps;
        _constants = constants;
        _inputName = inputName;
        _halfConstants = new(() => constants.ToDictionary(c => c.Key, c => Half(c.Value), StringComparer.Ordinal));
        _lastUse = new(StringComparer.Ordinal);
        for (var i = 0; i < steps.Length; i++)
        {
            foreach (var name in steps[i].Op.Inputs.Values.SelectMany(a => a.Arguments).Where(b => b.BindingCase == Argument.Types.Binding.BindingOneofCase.Name))
            {
                _lastUse[name.Name] = i;
            }
        }
    }

    /// <inheritdoc/>
    public ModelInfo Info { get; }

    /// <inheritdoc/>
    public Weights.WeightFormat StoredWeights { get; }

    /// <summary>The shape of every value an operation computes (as C×H×W, see <see cref="AsMap"/>), by name.</summary>
    internal IReadOnlyDictionary<string, TensorShape?> ValueShapes => _steps.ToDictionary(s => s.Op.Outputs[0].Name, s => (TensorShape?)AsMap(s.Dims), StringComparer.Ordinal);

    /// <summary>Loads a package and checks its program.</summary>
    public static MLProgramRuntime Load(InputFolder folder)
    {
        var package = MLPackage.Open(folder);
        return FromModel(ReadRoot(package), package);
    }

    /// <summary>Parses the root model of a package.</summary>
    internal static Model ReadRoot(MLPackage package)
    {
        try
        {
            using var stream = package.OpenModel();
            return Model.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelFormatException($"the root model is not a valid Core ML model ({ex.Message}).", new SourceLocation(package.ModelPath),
                "the package is damaged; convert the model again.");
        }
    }

    /// <summary>
    /// The runtime of a parsed ML Program <paramref name="model"/>, the root model of <paramref name="package"/>; blob
    /// file names "@model_path/…" are resolved in the package, beside the root model.
    /// </summary>
    internal static MLProgramRuntime FromModel(Model model, MLPackage package)
    {
        var modelPath = package.ModelPath;
        var where = new SourceLocation(modelPath);
        if (model.TypeCase != Model.TypeOneofCase.MlProgram)
        {
            throw new UnsupportedFeatureException($"the package's root model is a '{model.TypeCase}' model; the runtime runs ML Program packages (and NeuralNetwork .mlmodel files).", where);
        }

        var program = model.MlProgram;
        if (!program.Functions.TryGetValue("main", out var main))
        {
            throw Bad(where, $"the program has no function 'main' (it has {Names(program.Functions.Keys)})");
        }

        if (!main.BlockSpecializations.TryGetValue(main.Opset, out var block))
        {
            throw Bad(where, $"function 'main' has opset '{Echo.Of(main.Opset)}' but no block for it (blocks: {Names(main.BlockSpecializations.Keys)})");
        }

        using var reader = new MilConstants(package);
        var (info, inputDims) = Describe(model, main, block, reader, where);
        var values = new Dictionary<string, MilValue>(StringComparer.Ordinal) { [info.InputName] = new MilValue(inputDims, DataType.Float32) };
        var constants = new Dictionary<string, MilValue>(StringComparer.Ordinal);
        var formats = new Dictionary<string, Weights.WeightFormat>(StringComparer.Ordinal);
        var inline = new Dictionary<Argument.Types.Binding, MilValue>(ReferenceEqualityComparer.Instance);
        var steps = new List<Step>();
        var convWeights = new List<string>();
        for (var i = 0; i < block.Operations.Count; i++)
        {
            var op = block.Operations[i];
            if (op.Outputs.Count != 1)
            {
                throw Bad(where, $"ML Program operation {i} ({Echo.Of(op.Type)}) declares {op.Outputs.Count} outputs; the runtime runs single-output operations");
            }

            var name = op.Outputs[0].Name;
            if (values.ContainsKey(name))
            {
                throw Bad(where, $"ML Program operation {i} defines '{Echo.Of(name)}' a second time");
            }

            if (op.Type == "const" || op.Type.StartsWith("constexpr_", StringComparison.Ordinal))
            {
                var value = MilConstexpr.Evaluate(op, i, reader, where);
                CheckDeclared(op, i, value.Dims, reader, where);
                constants[name] = values[name] = value;
                formats[name] = MilConstexpr.FormatOf(op, value);
                continue;
            }

            var impl = MilOps.Of(op.Type) ?? throw new UnsupportedFeatureException(
                $"ML Program operation {i} '{Echo.Of(name)}' is a '{Echo.Of(op.Type)}', which the runtime does not run (it runs const, {string.Join(", ", MilOps.Known)}).", where);
            MilValue Resolve(Argument.Types.Binding b) => b.BindingCase switch
            {
                Argument.Types.Binding.BindingOneofCase.Name => values.TryGetValue(b.Name, out var v) ? v
                    : throw Bad(where, $"ML Program operation {i} '{Echo.Of(name)}' ({op.Type}) reads '{Echo.Of(b.Name)}', which no earlier operation or input defines"),
                Argument.Types.Binding.BindingOneofCase.Value => inline.TryGetValue(b, out var c) ? c : inline[b] = reader.Read(b.Value, $"an inline value of operation '{name}'"),
                _ => throw Bad(where, $"ML Program operation {i} '{Echo.Of(name)}' has an empty argument binding"),
            };
            var dims = impl.Infer(new MilCall(op, i, Resolve, where));
            var type = CheckDeclared(op, i, dims, reader, where);
            if (!MilShapes.IsFloat(type))
            {
                throw new UnsupportedFeatureException($"ML Program operation {i} '{Echo.Of(name)}' ({op.Type}) outputs {type}; the runtime computes fp16 and fp32 tensors.", where);
            }

            if (op.Type == "conv" && op.Inputs["weight"].Arguments[0] is { BindingCase: Argument.Types.Binding.BindingOneofCase.Name } w)
            {
                convWeights.Add(w.Name);
            }

            values[name] = new MilValue(dims, type);
            steps.Add(new Step(op, impl, dims, type, (b => b.BindingCase == Argument.Types.Binding.BindingOneofCase.Value ? inline[b] : null)));
        }

        foreach (var (output, _) in info.Outputs)
        {
            if (!values.TryGetValue(output, out var v) || v.Data is not null)
            {
                throw Bad(where, $"the model declares output '{Echo.Of(output)}', which no operation of 'main' computes");
            }
        }

        var stored = Weights.WeightFormat.Coarsest(convWeights.Select(w => formats.GetValueOrDefault(w, Weights.WeightFormat.Fp32)));
        return new MLProgramRuntime(info, stored, [.. steps], constants, info.InputName);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, ComputePrecision precision = ComputePrecision.Fp32) => Run(pixels, [], precision);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, IReadOnlyCollection<string> keep, ComputePrecision precision = ComputePrecision.Fp32) => Run(pixels, keep, precision, null);

    /// <inheritdoc/>
    public IReadOnlyList<ComputedValue> ComputedValues => [.. _steps.Select(s => new ComputedValue(s.Op.Outputs[0].Name, s.Op.Outputs[0].Name))];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Run(Tensor pixels, IReadOnlyCollection<string> keep, ComputePrecision precision, Action<string, Tensor>? observe)
    {
        ArgumentNullException.ThrowIfNull(keep);
        Info.CheckInput(pixels);

        var half = precision == ComputePrecision.Fp16;
        var context = new MilRunContext(half, _kernels);
        var values = new Dictionary<string, MilValue>(half ? _halfConstants.Value : _constants, StringComparer.Ordinal)
        {
            [_inputName] = new MilValue([1, Info.InputShape.C, Info.Height, Info.Width], DataType.Float32, RoundIf(half, Planes(pixels))),
        };
        var pinned = Info.Outputs.Select(o => o.Name).Concat(keep).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < _steps.Length; i++)
        {
            var step = _steps[i];
            var call = new MilCall(step.Op, i, b => b.BindingCase == Argument.Types.Binding.BindingOneofCase.Name ? values[b.Name] : Inline(step, b, half), null, step.Dims);
            var data = step.Impl.Run(call, context);
            var value = values[step.Op.Outputs[0].Name] = new MilValue(step.Dims, step.Type, RoundIf(half || step.Type == DataType.Float16, data));
            observe?.Invoke(step.Op.Outputs[0].Name, new Tensor(AsMap(step.Dims), value.Data));
            foreach (var name in step.Op.Inputs.Values.SelectMany(a => a.Arguments).Where(b => b.BindingCase == Argument.Types.Binding.BindingOneofCase.Name).Select(b => b.Name))
            {
                if (_lastUse.GetValueOrDefault(name) == i && !pinned.Contains(name) && !_constants.ContainsKey(name))
                {
                    values.Remove(name);
                }
            }
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in Info.Outputs)
        {
            result[name] = new Tensor(shape, values[name].Data);
        }

        foreach (var name in keep)
        {
            result[name] = values.TryGetValue(name, out var v) && v.Data is { } d ? new Tensor(AsMap(v.Dims), d)
                : throw new ArgumentException($"the program has no value named '{name}'", nameof(keep));
        }

        return result;
    }

    // A declared rank-1 to rank-5 value as C×H×W: leading 1s dropped, [rows, columns] read as [rows, columns, 1].
    internal static TensorShape AsMap(IReadOnlyList<int> dims)
    {
        var d = dims.SkipWhile((v, i) => v == 1 && dims.Count - i > 3).ToArray();
        return d.Length switch
        {
            0 => new TensorShape(1, 1, 1),
            1 => new TensorShape(d[0], 1, 1),
            2 => new TensorShape(d[0], d[1], 1),
            3 => new TensorShape(d[0], d[1], d[2]),
            _ => new TensorShape(d[0], d[1], (int)MilShapes.Product(d, 2, d.Length)),
        };
    }

    private static (ModelInfo Info, int[] InputDims) Describe(Model model, Function main, Block block, MilConstants reader, SourceLocation where)
    {
        var description = model.Description ?? throw Bad(where, "the model has no description");
        if (description.Input.Count != 1 || description.Input[0].Type?.TypeCase != FeatureType.TypeOneofCase.ImageType)
        {
            throw new UnsupportedFeatureException("the runtime runs models with exactly one image input.", where);
        }

        var input = description.Input[0];
        var image = input.Type.ImageType;
        var grayscale = image.ColorSpace == ImageFeatureType.Types.ColorSpace.Grayscale;
        var function = main.Inputs.FirstOrDefault(v => v.Name == input.Name)
            ?? throw Bad(where, $"the image input '{Echo.Of(input.Name)}' is not an input of function 'main'");
        var dims = reader.Dims(function.Type, $"input '{input.Name}'");
        if (dims is not [1, var c, var h, var w] || c != (grayscale ? 1 : 3) || h != (long)image.Height || w != (long)image.Width || MilConstants.TypeOf(function.Type) != DataType.Float32)
        {
            throw Bad(where, $"function input '{Echo.Of(input.Name)}' is {MilConstants.TypeOf(function.Type)} {MilShapes.Text(dims)}; the description's {image.Width}x{image.Height} image needs fp32 [1,{(grayscale ? 1 : 3)},{image.Height},{image.Width}]");
        }

        var outputs = ImmutableArray.CreateBuilder<(string, TensorShape)>();
        foreach (var o in description.Output)
        {
            if (o.Type?.TypeCase != FeatureType.TypeOneofCase.MultiArrayType)
            {
                throw new UnsupportedFeatureException($"output '{Echo.Of(o.Name)}' is not a multi-array; the runtime expects raw heads.", where);
            }

            if (!block.Outputs.Contains(o.Name))
            {
                throw Bad(where, $"the description's output '{Echo.Of(o.Name)}' is not an output of function 'main' ({Names(block.Outputs)})");
            }

            var shape = o.Type.MultiArrayType.Shape;
            if (shape.Any(d => d is < 1 or > int.MaxValue))
            {
                throw Bad(where, $"output '{Echo.Of(o.Name)}' is declared [{string.Join(",", shape)}]; expected positive sizes");
            }

            var declared = block.Operations.Select(op => op.Outputs.FirstOrDefault(v => v.Name == o.Name)).FirstOrDefault(v => v is not null);
            outputs.Add((o.Name, AsMap(shape.Count > 0 ? [.. shape.Select(d => (int)d)] : reader.Dims(declared?.Type, $"output '{o.Name}'"))));
        }

        var info = new ModelInfo(input.Name, (int)image.Width, (int)image.Height, grayscale,
            image.ColorSpace == ImageFeatureType.Types.ColorSpace.Bgr, outputs.ToImmutable(), model.SpecificationVersion,
            description.Metadata?.UserDefined.ToImmutableDictionary() ?? ImmutableDictionary<string, string>.Empty,
            description.Metadata?.ShortDescription ?? string.Empty);
        return (info, dims);
    }

    private static DataType CheckDeclared(Operation op, int index, int[] dims, MilConstants reader, SourceLocation where)
    {
        var declared = op.Outputs[0];
        var declaredDims = reader.Dims(declared.Type, $"the output '{declared.Name}' of operation {index}");
        return declaredDims.SequenceEqual(dims) ? MilConstants.TypeOf(declared.Type)
            : throw Bad(where, $"ML Program operation {index} '{Echo.Of(declared.Name)}' ({op.Type}) declares its output {MilShapes.Text(declaredDims)} but computes {MilShapes.Text(dims)}");
    }

    private static MilValue Inline(Step step, Argument.Types.Binding b, bool half) => step.Inline(b) is { } v ? (half ? Half(v) : v)
        : throw new InvalidOperationException($"operation '{step.Op.Outputs[0].Name}' has an unresolved binding");

    // The image planes in the input's channel order (a BGR model receives B, G, R).
    private float[] Planes(Tensor pixels)
    {
        if (!Info.Bgr)
        {
            return (float[])pixels.Data.Clone();
        }

        var plane = pixels.H * pixels.W;
        var data = new float[pixels.Data.Length];
        for (var c = 0; c < 3; c++)
        {
            Array.Copy(pixels.Data, (2 - c) * plane, data, c * plane, plane);
        }

        return data;
    }

    private static MilValue Half(MilValue v)
    {
        if (v.Data is null || !MilShapes.IsFloat(v.Type))
        {
            return v;
        }

        return new MilValue(v.Dims, v.Type, RoundIf(true, (float[])v.Data.Clone()), v.Strings);
    }

    private static float[] RoundIf(bool half, float[] data)
    {
        if (half)
        {
            CoreML.Precision.HalfPrecision.Round(data);
        }

        return data;
    }

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names.Select(n => $"'{Echo.Of(n)}'")) : "none";

    private static ModelFormatException Bad(SourceLocation where, string what) =>
        new($"{what}.", where, "the package is damaged or not one written by yolo4convert or coremltools; convert the model again.");

    // One non-constant operation with its inferred output and the inline constants of its bindings.
    private sealed record Step(Operation Op, IMilOp Impl, int[] Dims, DataType Type, Func<Argument.Types.Binding, MilValue?> Inline);
}
