using CoreML.Specification;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;

namespace Yolo4Convert.CoreML;

/// <summary>
/// The Core ML NeuralNetwork op table: lowers the IR node by node, in order, to NeuralNetwork layers named
/// "{layer:D3}_{role}" after the Darknet layer each node comes from (<see cref="LayerValueNames"/>). Convolutions are laid out without their weights:
/// each leaves a <see cref="ConvSlot"/> the writer fills as it streams the weights. A head's value is produced under
/// the head's output name: the node's layer is named so, or an identity layer is added after the head's Darknet
/// layer when that layer computed nothing of its own.
/// </summary>
internal sealed class NeuralNetworkLowering
{
    private delegate string Lowering(NeuralNetworkLowering target, IrNode node, string[] inputs);

    private delegate string ActivationLowering(NeuralNetworkLowering target, string prefix, string name, string input);

    private static readonly Dictionary<Type, Lowering> Ops = new()
    {
        [typeof(Conv2d)] = (t, n, x) => t.Convolution(n, (Conv2d)n.Op, x[0]),
        [typeof(MaxPool2d)] = (t, n, x) => t.MaxPool(n, (MaxPool2d)n.Op, x[0]),
        [typeof(AvgPool2d)] = (t, n, x) => t.AvgPool(n, (AvgPool2d)n.Op, x[0]),
        [typeof(GlobalAvgPool)] = (t, n, x) => t.AddLayer(n, x, new NeuralNetworkLayer
        {
            Pooling = new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Average, GlobalPooling = true, Valid = new ValidPadding() },
        }),
        [typeof(Concat)] = (t, n, x) => t.AddLayer(n, x, new NeuralNetworkLayer { Concat = new ConcatLayerParams() }),
        [typeof(ChannelSlice)] = (t, n, x) => t.AddLayer(n, x, new NeuralNetworkLayer
        {
            Slice = new SliceLayerParams
            {
                StartIndex = ((ChannelSlice)n.Op).Start, EndIndex = ((ChannelSlice)n.Op).End, Stride = 1, Axis = SliceLayerParams.Types.SliceAxis.ChannelAxis,
            },
        }),
        [typeof(Add)] = (t, n, x) => t.AddLayer(n, x, new NeuralNetworkLayer { Add = new AddLayerParams() }),
        [typeof(Mul)] = (t, n, x) => t.AddLayer(n, x, new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() }),
        [typeof(UpsampleNearest)] = (t, n, x) => t.Upsample(n, (UpsampleNearest)n.Op, x[0]),
        [typeof(Scale)] = (t, n, x) => t.Linear(Name(n), x[0], ((Scale)n.Op).Alpha),
        [typeof(SpaceToDepth)] = (t, n, x) => t.SpaceToDepth(n, (SpaceToDepth)n.Op, x[0]),
        [typeof(Softmax)] = (t, n, x) => t.AddLayer(n, x, new NeuralNetworkLayer { Softmax = new SoftmaxLayerParams() }),
        [typeof(ActivationOp)] = (t, n, x) => t.Activate(n, ((ActivationOp)n.Op).Function, x[0]),
    };

    // activate_array and friends, src/activations.c. Each entry gets the layer's prefix ("005_") and the name of its
    // last layer ("005_leaky"), and names its helper layers after it.
    private static readonly Dictionary<Graph.Activation, ActivationLowering> Activations = new()
    {
        [Graph.Activation.Linear] = (_, _, _, input) => input,
        [Graph.Activation.Leaky] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { LeakyReLU = new ActivationLeakyReLU { Alpha = 0.1f } }),
        [Graph.Activation.Relu] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { ReLU = new ActivationReLU() }),
        [Graph.Activation.Relie] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { LeakyReLU = new ActivationLeakyReLU { Alpha = 0.01f } }),
        [Graph.Activation.Logistic] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { Sigmoid = new ActivationSigmoid() }),
        [Graph.Activation.Tanh] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { Tanh = new ActivationTanh() }),
        [Graph.Activation.Elu] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { ELU = new ActivationELU { Alpha = 1f } }),
        [Graph.Activation.Selu] = (t, prefix, name, input) => t.Linear(name, t.Activation(prefix + "elu", input, new ActivationParams { ELU = new ActivationELU { Alpha = 1.6732f } }), 1.0507f),
        [Graph.Activation.Swish] = (t, _, name, input) =>
            t.AddLayer(name, [input, t.Activation(name + "_sigmoid", input, new ActivationParams { Sigmoid = new ActivationSigmoid() })], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() }),
        [Graph.Activation.Mish] = (t, _, name, input) => t.Mish(name, input),
        [Graph.Activation.Revleaky] = (t, _, name, input) => t.Activation(name, input, new ActivationParams { LeakyReLU = new ActivationLeakyReLU { Alpha = 0.1f } }),
    };

    private readonly IrGraph _graph;
    private readonly CoreMLWriterOptions _options;
    private readonly Dictionary<int, string> _outputNames = [];
    private readonly Queue<(int Layer, string Name)> _identities;
    private readonly string[] _blobs;
    private readonly NeuralNetwork _nn = new();
    private readonly List<ConvSlot> _slots = [];

    public NeuralNetworkLowering(IrGraph graph, CoreMLWriterOptions options, IReadOnlyList<HeadDescription> heads)
    {
        _graph = graph;
        _options = options;
        _blobs = new string[graph.Nodes.Length];
        Weights = WeightEncoding.From(options);

        // A head's value is renamed when its own Darknet layer made it; otherwise an identity names it after that layer.
        var identities = new List<(int, string)>();
        foreach (var head in heads)
        {
            var layer = head.Head.InputLayer;
            if (head.Head.Value != IrGraph.Input && graph.Nodes[head.Head.Value].Origin.Layer == layer)
            {
                _outputNames[head.Head.Value] = head.OutputName;
            }
            else
            {
                identities.Add((layer, head.OutputName));
            }
        }

        _identities = new(identities.OrderBy(i => i.Item1));
    }

    /// <summary>What this table maps and refuses.</summary>
    public static OpCoverage Coverage { get; } = new(
        "Core ML NeuralNetwork", Ops.Keys.ToHashSet(), new Dictionary<Type, string>(),
        [.. Activations.Keys],
        Enum.GetValues<Graph.Activation>().Where(a => !Activations.ContainsKey(a)).ToDictionary(a => a, _ => "no exact Core ML lowering"));

    public int CustomLayers { get; private set; }

    /// <summary>How convolution weights are stored; it records every layer it lays out.</summary>
    public WeightEncoding Weights { get; }

    /// <summary>The convolutions' weight slots, in layer order.</summary>
    public IReadOnlyList<ConvSlot> Slots => _slots;

    public NeuralNetwork Emit()
    {
        foreach (var node in _graph.Nodes)
        {
            FlushIdentities(node.Origin.Layer);
            var inputs = node.Inputs.Select(Blob).ToArray();
            var blob = Ops[node.Op.GetType()](this, node, inputs);
            if (_outputNames.TryGetValue(node.Id, out var output))
            {
                _nn.Layers[^1].Output[0] = output;
                blob = output;
            }

            _blobs[node.Id] = blob;
        }

        FlushIdentities(int.MaxValue);
        return _nn;
    }

    private void FlushIdentities(int beforeLayer)
    {
        while (_identities.Count > 0 && _identities.Peek().Layer < beforeLayer)
        {
            var (layer, name) = _identities.Dequeue();
            var value = _graph.Heads.First(h => h.InputLayer == layer).Value;
            AddLayer(LayerValueNames.NeuralNetwork(layer, "output"), [Blob(value)], new NeuralNetworkLayer { Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = 1f } } }, name);
        }
    }

    // "005_conv", "005_slice0"; a shortcut's final sum is "005_add".
    private static string Name(IrNode node) => LayerValueNames.NeuralNetwork(node.Origin.Layer, node.Origin.Part ?? (node.Origin.Role == "shortcut" ? "add" : node.Origin.Role));

    private string Blob(int value) => value == IrGraph.Input ? _options.InputName : _blobs[value];

    private string AddLayer(IrNode node, IEnumerable<string> inputs, NeuralNetworkLayer layer) => AddLayer(Name(node), inputs, layer);

    private string AddLayer(string name, IEnumerable<string> inputs, NeuralNetworkLayer layer, string? output = null)
    {
        layer.Name = name;
        layer.Input.AddRange(inputs);
        layer.Output.Add(output ?? name);
        _nn.Layers.Add(layer);
        return layer.Output[0];
    }

    private string Convolution(IrNode node, Conv2d c, string input)
    {
        var x = _graph.ShapeOf(node.Inputs[0]);
        var p = new ConvolutionLayerParams
        {
            OutputChannels = (ulong)c.Filters,
            KernelChannels = (ulong)(x.C / c.Groups),
            NGroups = (ulong)c.Groups,
            HasBias = true,
        };
        p.KernelSize.Add([(ulong)c.KernelSize, (ulong)c.KernelSize]);
        p.Stride.Add([(ulong)c.StrideY, (ulong)c.StrideX]);
        p.DilationFactor.Add([(ulong)c.Dilation, (ulong)c.Dilation]);
        if (_options.NaiveSamePadding && !c.Pads.IsZero)
        {
            p.Same = new SamePadding();
        }
        else
        {
            // Core ML's "same" pads bottom/right first, which is wrong for stride 2: the pads are given explicitly.
            p.Valid = new ValidPadding { PaddingAmounts = Border(c.Pads) };
        }

        var name = Name(node);
        var blob = AddLayer(name, [input], new NeuralNetworkLayer { Convolution = p });
        _slots.Add(new ConvSlot(_nn.Layers[^1], c.Weights, c.KernelCount, Weights.Plan(name, c.KernelCount, c.Filters)));
        return blob;
    }

    private static BorderAmounts Border(Pads pads)
    {
        var b = new BorderAmounts();
        b.BorderAmounts_.Add(new EdgeSizes { StartEdgeSize = (ulong)pads.Top, EndEdgeSize = (ulong)pads.Bottom });
        b.BorderAmounts_.Add(new EdgeSizes { StartEdgeSize = (ulong)pads.Left, EndEdgeSize = (ulong)pads.Right });
        return b;
    }

    private string MaxPool(IrNode node, MaxPool2d m, string input) =>
        Pool(node, new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Max }, m.Size, m.StrideY, m.StrideX, m.Pads, input);

    // The mean over the window's cells inside the input: explicit padding amounts, padding excluded from the count.
    private string AvgPool(IrNode node, AvgPool2d a, string input) =>
        Pool(node, new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Average, AvgPoolExcludePadding = true }, a.Size, a.StrideY, a.StrideX, a.Pads, input);

    private string Pool(IrNode node, PoolingLayerParams p, int size, int strideY, int strideX, Pads pads, string input)
    {
        p.KernelSize.Add([(ulong)size, (ulong)size]);
        p.Stride.Add([(ulong)strideY, (ulong)strideX]);
        p.Valid = new ValidPadding { PaddingAmounts = Border(pads) };
        return AddLayer(node, [input], new NeuralNetworkLayer { Pooling = p });
    }

    private string Upsample(IrNode node, UpsampleNearest u, string input)
    {
        var p = new UpsampleLayerParams { Mode = UpsampleLayerParams.Types.InterpolationMode.Nn };
        p.ScalingFactor.Add([(ulong)u.Factor, (ulong)u.Factor]);
        return AddLayer(node, [input], new NeuralNetworkLayer { Upsample = p });
    }

    private string Linear(string name, string input, float alpha) =>
        AddLayer(name, [input], new NeuralNetworkLayer { Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = alpha } } });

    private string SpaceToDepth(IrNode node, SpaceToDepth g, string input)
    {
        var x = _graph.ShapeOf(node.Inputs[0]);
        var s = g.Stride;
        var prefix = LayerValueNames.NeuralNetwork(node.Origin.Layer, string.Empty);
        if (g.Old)
        {
            input = Reshape(prefix + "view", input, x.C / (s * s), x.H * s, x.W * s);
        }

        var blob = AddLayer(prefix + "reorg", [input], new NeuralNetworkLayer
        {
            ReorganizeData = new ReorganizeDataLayerParams { Mode = ReorganizeDataLayerParams.Types.ReorganizationType.SpaceToDepth, BlockSize = (ulong)s },
        });
        return g.Old ? Reshape(prefix + "unview", blob, x.C * s * s, x.H / s, x.W / s) : blob;
    }

    private string Reshape(string name, string input, int c, int h, int w)
    {
        var p = new ReshapeLayerParams();
        p.TargetShape.Add([c, h, w]);
        return AddLayer(name, [input], new NeuralNetworkLayer { Reshape = p });
    }

    private string Activation(string name, string input, ActivationParams p) =>
        AddLayer(name, [input], new NeuralNetworkLayer { Activation = p });

    private string Activate(IrNode node, Graph.Activation activation, string input)
    {
        if (!Activations.TryGetValue(activation, out var lowering))
        {
            throw new UnsupportedFeatureException(
                $"layer {node.Origin.Layer} [{node.Origin.Kind}] uses activation={ActivationNames.Name(activation)}, which has no exact Core ML lowering.",
                node.Origin.Source, $"supported: {Coverage.MappedActivationNames}.");
        }

        return lowering(this, LayerValueNames.NeuralNetwork(node.Origin.Layer, string.Empty), Name(node), input);
    }

    private string Mish(string name, string input)
    {
        switch (_options.Mish)
        {
            case MishLowering.Native:
                {
                    var softplus = Activation(name + "_softplus", input, new ActivationParams { Softplus = new ActivationSoftplus() });
                    var tanh = Activation(name + "_tanh", softplus, new ActivationParams { Tanh = new ActivationTanh() });
                    return AddLayer(name, [input, tanh], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });
                }

            case MishLowering.Stable:
                {
                    // −|x| = min(x, −x); softplus(x) = relu(x) + softplus(−|x|); mish = x · tanh(softplus(x)).
                    var negated = Linear(name + "_neg", input, -1f);
                    var negAbs = AddLayer(name + "_negabs", [input, negated], new NeuralNetworkLayer { Min = new MinLayerParams() });
                    var small = Activation(name + "_softplus", negAbs, new ActivationParams { Softplus = new ActivationSoftplus() });
                    var relu = Activation(name + "_relu", input, new ActivationParams { ReLU = new ActivationReLU() });
                    var softplus = AddLayer(name + "_sum", [relu, small], new NeuralNetworkLayer { Add = new AddLayerParams() });
                    var tanh = Activation(name + "_tanh", softplus, new ActivationParams { Tanh = new ActivationTanh() });
                    return AddLayer(name, [input, tanh], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });
                }

            default:
                CustomLayers++;
                return AddLayer(name, [input], new NeuralNetworkLayer
                {
                    Custom = new CustomLayerParams { ClassName = _options.MishClassName, Description = "Mish activation: x * tanh(softplus(x))" },
                });
        }
    }
}
