using CoreML.Specification.MILSpec;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;
using MilValueType = CoreML.Specification.MILSpec.ValueType;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>One convolution's blobs in weight.bin: its folded kernel and bias, in the program's weight dtype.</summary>
internal sealed record ConvBlobs(string OpName, ConvolutionalLayer Conv, long KernelCount, KernelBlobs Kernel, BlobSlot Bias);

/// <summary>
/// The ML Program op table: lowers the IR node by node, in order, into the <c>main</c> function's block. The image
/// input (fp32 [1, C, H, W]) is scaled by 1/255 with an explicit <c>mul</c>; an fp16 program casts it to fp16 and
/// casts every head back to fp32. Values are named "l{layer:D3}_{role}" after their Darknet layer (<see cref="LayerValueNames"/>), every op parameter
/// is a named const, and each convolution's weights and bias are blobs of weight.bin laid out from their counts.
/// </summary>
internal sealed class MLProgramLowering
{
    private delegate string Lowering(MLProgramLowering target, IrNode node, string[] inputs);

    private delegate string ActivationLowering(MLProgramLowering target, string name, string input);

    private static readonly Dictionary<Type, Lowering> Ops = new()
    {
        [typeof(Conv2d)] = (t, n, x) => t.Convolution(n, (Conv2d)n.Op, x[0]),
        [typeof(MaxPool2d)] = (t, n, x) => t.MaxPool(n, (MaxPool2d)n.Op, x[0]),
        [typeof(AvgPool2d)] = (t, n, x) => t.AvgPool(n, (AvgPool2d)n.Op, x[0]),
        [typeof(GlobalAvgPool)] = (t, n, x) =>
        {
            var name = Name(n);
            return t._b.Op("reduce_mean", name, t.Type(n.Shape), ("x", x[0]), ("axes", t._b.Ints(name + "_axes", -2, -1)), ("keep_dims", t._b.Bool(name + "_keep_dims", true)));
        },
        [typeof(Concat)] = (t, n, x) =>
        {
            var name = Name(n);
            return t._b.Op("concat", name, t.Type(n.Shape), ("values", x), ("axis", new[] { t._b.Int(name + "_axis", 1) }), ("interleave", new[] { t._b.Bool(name + "_interleave", false) }));
        },
        [typeof(ChannelSlice)] = (t, n, x) => t.Slice(n, (ChannelSlice)n.Op, x[0]),
        [typeof(Add)] = (t, n, x) => t._b.Op("add", Name(n), t.Type(n.Shape), ("x", x[0]), ("y", x[1])),
        [typeof(Mul)] = (t, n, x) => t._b.Op("mul", Name(n), t.Type(n.Shape), ("x", x[0]), ("y", x[1])),
        [typeof(UpsampleNearest)] = (t, n, x) =>
        {
            var (name, f) = (Name(n), ((UpsampleNearest)n.Op).Factor);
            return t._b.Op("upsample_nearest_neighbor", name, t.Type(n.Shape), ("x", x[0]),
                ("scale_factor_height", t._b.Int(name + "_scale_factor_height", f)), ("scale_factor_width", t._b.Int(name + "_scale_factor_width", f)));
        },
        [typeof(Scale)] = (t, n, x) => t.MulConst(Name(n), x[0], ((Scale)n.Op).Alpha),
        [typeof(SpaceToDepth)] = (t, n, x) => t.SpaceToDepth(n, (SpaceToDepth)n.Op, x[0]),
        [typeof(Softmax)] = (t, n, x) =>
        {
            var name = Name(n);
            return t._b.Op("softmax", name, t.Type(n.Shape), ("x", x[0]), ("axis", t._b.Int(name + "_axis", 1)));
        },
        [typeof(ActivationOp)] = (t, n, x) => t.Activate(n, ((ActivationOp)n.Op).Function, x[0]),
    };

    // activate_array and friends, src/activations.c; each entry names its last op `name` and its helpers after it.
    private static readonly Dictionary<Activation, ActivationLowering> Activations = new()
    {
        [Activation.Linear] = (_, _, input) => input,
        [Activation.Leaky] = (t, name, input) => t.LeakyRelu(name, input, 0.1f),
        [Activation.Revleaky] = (t, name, input) => t.LeakyRelu(name, input, 0.1f),
        [Activation.Relie] = (t, name, input) => t.LeakyRelu(name, input, 0.01f),
        [Activation.Relu] = (t, name, input) => t.Unary("relu", name, input),
        [Activation.Logistic] = (t, name, input) => t.Unary("sigmoid", name, input),
        [Activation.Tanh] = (t, name, input) => t.Unary("tanh", name, input),
        [Activation.Elu] = (t, name, input) => t.Elu(name, input, 1f),
        [Activation.Selu] = (t, name, input) => t.MulConst(name, t.Elu(name + "_elu", input, 1.6732f), 1.0507f),
        [Activation.Swish] = (t, name, input) => t.Binary("mul", name, input, t.Unary("sigmoid", name + "_sigmoid", input)),
        [Activation.Mish] = (t, name, input) => t.Mish(name, input),
    };

    private readonly IrGraph _graph;
    private readonly CoreMLWriterOptions _options;
    private readonly IReadOnlyList<HeadDescription> _heads;
    private readonly MilBlockBuilder _b;
    private readonly BlobLayout _blobs;
    private readonly List<ConvBlobs> _convs = [];
    private readonly WeightEncoding _encoding;
    private readonly string[] _values;

    /// <summary>A lowering whose blobs live in <paramref name="blobFile"/> ("@model_path/weights/weight.bin" unless a pipeline stage).</summary>
    public MLProgramLowering(IrGraph graph, CoreMLWriterOptions options, IReadOnlyList<HeadDescription> heads, string blobFile = BlobLayout.FileName)
    {
        (_graph, _options, _heads) = (graph, options, heads);
        _blobs = new BlobLayout(blobFile);
        _b = new MilBlockBuilder(options.Precision == Yolo4Convert.Weights.WeightFormat.Fp16 ? DataType.Float16 : DataType.Float32);
        _values = new string[graph.Nodes.Length];
        _encoding = WeightEncoding.From(options);
    }

    /// <summary>What this table maps and refuses.</summary>
    public static OpCoverage Coverage { get; } = new(
        "Core ML ML Program", Ops.Keys.ToHashSet(), new Dictionary<Type, string>(),
        [.. Activations.Keys],
        Enum.GetValues<Activation>().Where(a => !Activations.ContainsKey(a)).ToDictionary(a => a, _ => "no exact ML Program lowering"));

    /// <summary>The weight file's layout (complete after <see cref="Emit"/>).</summary>
    public BlobLayout Blobs => _blobs;

    /// <summary>Each convolution's kernel format, planned as the program was laid out.</summary>
    public WeightEncodingReport Weights => new([.. _convs.Select(c => new EncodedLayer(c.OpName, c.KernelCount, c.Kernel.Format, c.Kernel.Bytes))]);

    /// <summary>The convolutions' blobs, in file order.</summary>
    public IReadOnlyList<ConvBlobs> Convolutions => _convs;

    /// <summary>The block builder (for ops appended after the body, such as a decoder).</summary>
    public MilBlockBuilder Builder => _b;

    /// <summary>The input's MIL type: fp32 [1, C, H, W], as Core ML requires of image inputs.</summary>
    public MilValueType InputType => MilBlockBuilder.Tensor(DataType.Float32, 1, _graph.Net.Channels, _graph.Net.Height, _graph.Net.Width);

    /// <summary>Lowers the graph into the main block; the block's outputs are the heads, fp32 [1, C, H, W].</summary>
    public Block Emit()
    {
        var values = EmitBody();
        for (var i = 0; i < _heads.Count; i++)
        {
            var (head, value) = (_heads[i], values[i]);
            var output = _b.Compute == DataType.Float16
                ? Cast(head.OutputName, value, "fp32", DataType.Float32)
                : _b.Op("identity", head.OutputName, _b.TypeOf(value), ("x", value));
            if (output != head.OutputName)
            {
                throw new InvalidOperationException($"the output name {head.OutputName} is taken inside the program");
            }

            _b.Block.Outputs.Add(output);
        }

        return _b.Block;
    }

    /// <summary>Lowers the graph into the main block without outputs; returns each head's value, in the compute dtype.</summary>
    public IReadOnlyList<string> EmitBody()
    {
        var input = _options.InputName;
        _b.Declare(input, InputType);
        var scaled = _b.Op("mul", input + "__scaled__", InputType, ("x", input), ("y", _b.Float(input + "__scaled___y_0", 1f / 255f, DataType.Float32)));
        var start = _b.Compute == DataType.Float16 ? Cast(scaled + "_to_fp16", scaled, "fp16", DataType.Float16) : scaled;
        foreach (var node in _graph.Nodes)
        {
            var inputs = node.Inputs.Select(v => v == IrGraph.Input ? start : _values[v]).ToArray();
            _values[node.Id] = Ops[node.Op.GetType()](this, node, inputs);
        }

        return [.. _heads.Select(h => h.Head.Value == IrGraph.Input ? start : _values[h.Head.Value])];
    }

    // "l005_conv", "l005_slice0"; a shortcut's final sum is "l005_add".
    private static string Name(IrNode node) => LayerValueNames.MLProgram(node.Origin.Layer, node.Origin.Part ?? (node.Origin.Role == "shortcut" ? "add" : node.Origin.Role));

    private MilValueType Type(TensorShape s) => MilBlockBuilder.Tensor(_b.Compute, 1, s.C, s.H, s.W);

    /// <summary>A cast of <paramref name="input"/> to <paramref name="to"/> ("fp16" or "fp32" as <paramref name="dtype"/>).</summary>
    public string Cast(string name, string input, string dtype, DataType to) =>
        _b.Op("cast", name, MilBlockBuilder.Tensor(to, _b.ShapeOf(input)), ("x", input), ("dtype", _b.Str(name + "_dtype", dtype)));

    private string Convolution(IrNode node, Conv2d c, string input)
    {
        var name = Name(node);
        var x = _graph.ShapeOf(node.Inputs[0]);
        var kernelShape = new long[] { c.Filters, x.C / c.Groups, c.KernelSize, c.KernelSize };
        if (kernelShape.Aggregate(1L, (a, d) => a * d) != c.KernelCount)
        {
            throw new InvalidOperationException($"layer {c.Weights.Index}: {c.KernelCount} kernel values for a {string.Join('x', kernelShape)} kernel");
        }

        var format = _encoding.Plan(name, c.KernelCount, c.Filters);
        var (weight, kernel) = KernelStorage.Emit(_b, _blobs, name + "_weight", format, kernelShape);
        var bias = _blobs.Add(_b.Compute, c.Filters);
        _convs.Add(new ConvBlobs(name, c.Weights, c.KernelCount, kernel, bias));
        var b = _b.Const(name + "_bias", _blobs.Reference(bias, c.Filters));
        return _b.Op("conv", name, Type(node.Shape),
            ("x", input), ("weight", weight), ("bias", b),
            ("strides", _b.Ints(name + "_strides", c.StrideY, c.StrideX)),
            ("pad_type", _b.Str(name + "_pad_type", "custom")),
            ("pad", _b.Ints(name + "_pad", c.Pads.Top, c.Pads.Bottom, c.Pads.Left, c.Pads.Right)),
            ("dilations", _b.Ints(name + "_dilations", c.Dilation, c.Dilation)),
            ("groups", _b.Int(name + "_groups", c.Groups)));
    }

    private string MaxPool(IrNode node, MaxPool2d m, string input) => Pool("max_pool", node, input, m.Size, m.StrideY, m.StrideX, m.Pads, excludePadding: false);

    // avg_pool with explicit pads, counting only the cells inside the input.
    private string AvgPool(IrNode node, AvgPool2d a, string input) => Pool("avg_pool", node, input, a.Size, a.StrideY, a.StrideX, a.Pads, excludePadding: true);

    private string Pool(string op, IrNode node, string input, int size, int strideY, int strideX, Pads pads, bool excludePadding)
    {
        var name = Name(node);
        List<(string, string)> inputs =
        [
            ("x", input),
            ("kernel_sizes", _b.Ints(name + "_kernel_sizes", size, size)),
            ("strides", _b.Ints(name + "_strides", strideY, strideX)),
            ("pad_type", _b.Str(name + "_pad_type", "custom")),
            ("pad", _b.Ints(name + "_pad", pads.Top, pads.Bottom, pads.Left, pads.Right)),
        ];
        if (excludePadding)
        {
            inputs.Add(("exclude_padding_from_average", _b.Bool(name + "_exclude_padding_from_average", true)));
        }

        inputs.Add(("ceil_mode", _b.Bool(name + "_ceil_mode", false)));
        return _b.Op(op, name, Type(node.Shape), [.. inputs]);
    }

    private string Slice(IrNode node, ChannelSlice s, string input)
    {
        var name = Name(node);
        var x = _graph.ShapeOf(node.Inputs[0]);
        return _b.Op("slice_by_index", name, Type(node.Shape),
            ("x", input), ("begin", _b.Ints(name + "_begin", 0, s.Start, 0, 0)), ("end", _b.Ints(name + "_end", 1, s.End, x.H, x.W)));
    }

    private string SpaceToDepth(IrNode node, SpaceToDepth g, string input)
    {
        var x = _graph.ShapeOf(node.Inputs[0]);
        var s = g.Stride;
        var prefix = LayerValueNames.MLProgram(node.Origin.Layer, string.Empty);
        if (g.Old)
        {
            input = Reshape(prefix + "view", input, x.C / (s * s), x.H * s, x.W * s);
        }

        var shape = _b.ShapeOf(input);
        var reorg = _b.Op("space_to_depth", prefix + "reorg", MilBlockBuilder.Tensor(_b.Compute, 1, shape[1] * s * s, shape[2] / s, shape[3] / s),
            ("x", input), ("block_size", _b.Int(prefix + "reorg_block_size", s)));
        return g.Old ? Reshape(prefix + "unview", reorg, x.C * s * s, x.H / s, x.W / s) : reorg;
    }

    private string Reshape(string name, string input, int c, int h, int w) =>
        _b.Op("reshape", name, MilBlockBuilder.Tensor(_b.Compute, 1, c, h, w), ("x", input), ("shape", _b.Ints(name + "_shape", 1, c, h, w)));

    private string Unary(string op, string name, string input) => _b.Op(op, name, _b.TypeOf(input), ("x", input));

    private string Binary(string op, string name, string x, string y) => _b.Op(op, name, _b.TypeOf(x), ("x", x), ("y", y));

    private string MulConst(string name, string input, float factor) => Binary("mul", name, input, _b.Float(name + "_y", factor));

    private string LeakyRelu(string name, string input, float alpha) =>
        _b.Op("leaky_relu", name, _b.TypeOf(input), ("x", input), ("alpha", _b.Float(name + "_alpha", alpha)));

    private string Elu(string name, string input, float alpha) =>
        _b.Op("elu", name, _b.TypeOf(input), ("x", input), ("alpha", _b.Float(name + "_alpha", alpha)));

    private string Activate(IrNode node, Activation activation, string input)
    {
        if (!Activations.TryGetValue(activation, out var lowering))
        {
            throw new UnsupportedFeatureException(
                $"layer {node.Origin.Layer} [{node.Origin.Kind}] uses activation={ActivationNames.Name(activation)}, which has no exact ML Program lowering.",
                node.Origin.Source, $"supported: {Coverage.MappedActivationNames}.");
        }

        return lowering(this, Name(node), input);
    }

    private string Mish(string name, string input)
    {
        switch (_options.Mish)
        {
            case MishLowering.Native:
                return Binary("mul", name, input, Unary("tanh", name + "_tanh", Unary("softplus", name + "_softplus", input)));
            case MishLowering.Stable:
                {
                    // softplus(x) = relu(x) + softplus(−|x|): softplus only sees inputs ≤ 0; mish = x · tanh(softplus(x)).
                    var negAbs = MulConst(name + "_negabs", Unary("abs", name + "_abs", input), -1f);
                    var small = Unary("softplus", name + "_softplus", negAbs);
                    var softplus = Binary("add", name + "_sum", Unary("relu", name + "_relu", input), small);
                    return Binary("mul", name, input, Unary("tanh", name + "_tanh", softplus));
                }

            default:
                throw new UnsupportedFeatureException(
                    "an ML Program has no custom layers, so mish cannot be the 'Mish' custom layer in a .mlpackage.", null,
                    "leave out --mish (built-in ops in the half-precision-safe form) or pass --mish native.");
        }
    }
}
