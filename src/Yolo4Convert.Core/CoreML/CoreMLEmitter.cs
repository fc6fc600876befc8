using CoreML.Specification;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Passes;

namespace Yolo4Convert.CoreML;

/// <summary>
/// Lowers the layer graph to Core ML NeuralNetwork layers, one Darknet layer at a time, in cfg order (which is a
/// topological order). Every layer's last blob is recorded so later layers can refer to it; layers that compute
/// nothing (dropout, a plain one-input route) just alias their input's blob. Convolutions are laid out without
/// their weights: each leaves a <see cref="ConvSlot"/> the writer fills as it streams the weights.
/// </summary>
internal sealed class CoreMLEmitter
{
    private readonly ShapedNetwork _shaped;
    private readonly CoreMLWriterOptions _options;
    private readonly Dictionary<int, string> _headOutputs;
    private readonly string[] _blobs;
    private readonly NeuralNetwork _nn = new();
    private readonly List<ConvSlot> _slots = [];

    public CoreMLEmitter(ShapedNetwork shaped, CoreMLWriterOptions options, Dictionary<int, string> headOutputs)
    {
        _shaped = shaped;
        _options = options;
        _headOutputs = headOutputs;
        _blobs = new string[shaped.Network.Layers.Length];
        Weights = WeightEncoding.From(options);
    }

    public int CustomLayers { get; private set; }

    /// <summary>How convolution weights are stored; it records every layer it lays out.</summary>
    public WeightEncoding Weights { get; }

    /// <summary>The convolutions' weight slots, in layer order.</summary>
    public IReadOnlyList<ConvSlot> Slots => _slots;

    public NeuralNetwork Emit()
    {
        foreach (var layer in _shaped.Network.Layers)
        {
            var name = Prefix(layer);
            var result = layer switch
            {
                ConvolutionalLayer c => Activate(layer, Convolution(c, name), c.Activation),
                MaxPoolLayer m => MaxPool(m, name),
                AvgPoolLayer => AddLayer(name + "avgpool", [Blob(layer.Inputs[0])], new NeuralNetworkLayer
                {
                    Pooling = new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Average, GlobalPooling = true, Valid = new ValidPadding() },
                }),
                RouteLayer r => Route(r, name),
                ShortcutLayer s => Activate(layer, Shortcut(s, name), s.Activation),
                UpsampleLayer u => Upsample(u, name),
                ReorgLayer g => Reorg(g, name),
                SoftmaxLayer sm => Softmax(sm, name),
                ScaleChannelsLayer sc => Activate(layer, AddLayer(name + "scale", [Blob(sc.Inputs[1]), Blob(sc.Inputs[0])], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() }), sc.Activation),
                SamLayer sa => Activate(layer, AddLayer(name + "sam", [Blob(sa.Inputs[0]), Blob(sa.Inputs[1])], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() }), sa.Activation),
                IdentityLayer or HeadLayer => Blob(layer.Inputs[0]),
                _ => throw new UnsupportedFeatureException($"layer {layer.Index} [{layer.Kind}] has no Core ML lowering.", layer.Source),
            };
            _blobs[layer.Index] = NameOutput(layer, result);
        }

        return _nn;
    }

    private static string Prefix(Layer layer) => $"{layer.Index:D3}_";

    private string Blob(int index) => index < 0 ? _options.InputName : _blobs[index];

    // A head's input must be produced under the output's name: rename the last emitted layer's output,
    // or add an identity when the layer emitted nothing of its own.
    private string NameOutput(Layer layer, string blob)
    {
        if (!_headOutputs.TryGetValue(layer.Index, out var output) || layer is HeadLayer)
        {
            return blob;
        }

        var last = _nn.Layers.Count > 0 ? _nn.Layers[^1] : null;
        var owned = last is not null && last.Output[0] == blob && last.Name.StartsWith(Prefix(layer), StringComparison.Ordinal);
        if (owned)
        {
            last!.Output[0] = output;
            return output;
        }

        AddLayer(Prefix(layer) + "output", [blob], new NeuralNetworkLayer { Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = 1f } } }, output);
        return output;
    }

    private string AddLayer(string name, IEnumerable<string> inputs, NeuralNetworkLayer layer, string? output = null)
    {
        layer.Name = name;
        layer.Input.AddRange(inputs);
        layer.Output.Add(output ?? name);
        _nn.Layers.Add(layer);
        return layer.Output[0];
    }

    private string Convolution(ConvolutionalLayer c, string name)
    {
        var input = _shaped.InputShape(c);
        var output = _shaped.Shapes[c.Index];
        var p = new ConvolutionLayerParams
        {
            OutputChannels = (ulong)c.Filters,
            KernelChannels = (ulong)(input.C / c.Groups),
            NGroups = (ulong)c.Groups,
            HasBias = true,
        };
        p.KernelSize.Add([(ulong)c.Size, (ulong)c.Size]);
        p.Stride.Add([(ulong)c.StrideY, (ulong)c.StrideX]);
        p.DilationFactor.Add([(ulong)c.Dilation, (ulong)c.Dilation]);
        if (_options.NaiveSamePadding && c.Padding > 0)
        {
            p.Same = new SamePadding();
        }
        else
        {
            // Darknet pads p·dilation zeros on every side and never reads past what its output size needs
            // (im2col_cpu_ext, src/im2col.c); Core ML's "same" pads bottom/right first, which is wrong for stride 2.
            var k = ((c.Size - 1) * c.Dilation) + 1;
            var top = c.Padding * c.Dilation;
            p.Valid = new ValidPadding { PaddingAmounts = Border(
                top, EndPad(output.H, c.StrideY, k, input.H, top, c),
                top, EndPad(output.W, c.StrideX, k, input.W, top, c)) };
        }

        var blob = AddLayer(name + "conv", [Blob(c.Inputs[0])], new NeuralNetworkLayer { Convolution = p });
        var count = _shaped.KernelCount(c);
        _slots.Add(new ConvSlot(_nn.Layers[^1], c, count, Weights.Plan(name + "conv", count, c.Filters)));
        return blob;
    }

    // The end padding that makes floor((in + start + end − k)/s) + 1 equal Darknet's output size.
    private static int EndPad(int outSize, int stride, int k, int inSize, int start, Layer layer)
    {
        var end = ((outSize - 1) * stride) + k - inSize - start;
        if (end < 0 && ((inSize + start - k) / stride) + 1 != outSize)
        {
            throw new UnsupportedFeatureException(
                $"layer {layer.Index} [{layer.Kind}] has a geometry (input {inSize}, kernel {k}, stride {stride}, padding {start}) that Core ML padding cannot reproduce.",
                layer.Source);
        }

        return Math.Max(0, end);
    }

    private static BorderAmounts Border(int top, int bottom, int left, int right)
    {
        var b = new BorderAmounts();
        b.BorderAmounts_.Add(new EdgeSizes { StartEdgeSize = (ulong)top, EndEdgeSize = (ulong)bottom });
        b.BorderAmounts_.Add(new EdgeSizes { StartEdgeSize = (ulong)left, EndEdgeSize = (ulong)right });
        return b;
    }

    private string MaxPool(MaxPoolLayer m, string name)
    {
        var input = _shaped.InputShape(m);
        var output = _shaped.Shapes[m.Index];
        var p = new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Max };
        p.KernelSize.Add([(ulong)m.Size, (ulong)m.Size]);
        p.Stride.Add([(ulong)m.StrideY, (ulong)m.StrideX]);

        // forward_maxpool_layer, src/maxpool_layer.c: windows start at o·stride − padding/2; cells outside are ignored.
        var start = m.Padding / 2;
        p.Valid = new ValidPadding { PaddingAmounts = Border(
            start, EndPad(output.H, m.StrideY, m.Size, input.H, start, m),
            start, EndPad(output.W, m.StrideX, m.Size, input.W, start, m)) };
        return AddLayer(name + "maxpool", [Blob(m.Inputs[0])], new NeuralNetworkLayer { Pooling = p });
    }

    private string Slice(string name, string input, int start, int end)
    {
        return AddLayer(name, [input], new NeuralNetworkLayer
        {
            Slice = new SliceLayerParams { StartIndex = start, EndIndex = end, Stride = 1, Axis = SliceLayerParams.Types.SliceAxis.ChannelAxis },
        });
    }

    private string Concat(string name, IEnumerable<string> inputs) =>
        AddLayer(name, inputs, new NeuralNetworkLayer { Concat = new ConcatLayerParams() });

    private string Route(RouteLayer r, string name)
    {
        var parts = new List<string>();
        for (var k = 0; k < r.Inputs.Length; k++)
        {
            var blob = Blob(r.Inputs[k]);
            if (r.Groups > 1)
            {
                // route_layer.c: the group_id-th contiguous 1/groups of each input's channels.
                var c = _shaped.InputShape(r, k).C / r.Groups;
                blob = Slice($"{name}slice{k}", blob, r.GroupId * c, (r.GroupId + 1) * c);
            }

            parts.Add(blob);
        }

        return parts.Count == 1 ? parts[0] : Concat(name + "route", parts);
    }

    private string Shortcut(ShortcutLayer s, string name)
    {
        var froms = s.Inputs.Skip(1).Select((i, k) => (Blob(i), _shaped.InputShape(s, k + 1).C)).ToList();
        return ShortcutLowering.Lower(
            Blob(s.Inputs[0]), _shaped.InputShape(s, 0).C, froms,
            (blob, start, end, part) => Slice(name + part, blob, start, end),
            (blobs, part) => AddLayer(name + (part.Length == 0 ? "add" : part), blobs, new NeuralNetworkLayer { Add = new AddLayerParams() }),
            (a, b, part) => Concat(name + part, [a, b]));
    }

    private string Upsample(UpsampleLayer u, string name)
    {
        var p = new UpsampleLayerParams { Mode = UpsampleLayerParams.Types.InterpolationMode.Nn };
        p.ScalingFactor.Add([(ulong)u.Stride, (ulong)u.Stride]);
        var blob = AddLayer(name + "upsample", [Blob(u.Inputs[0])], new NeuralNetworkLayer { Upsample = p });

        // upsample_cpu, src/blas.c multiplies by scale.
        return u.Scale == 1f ? blob : Linear(name + "scale", blob, u.Scale);
    }

    private string Linear(string name, string input, float alpha) =>
        AddLayer(name, [input], new NeuralNetworkLayer { Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = alpha } } });

    private string Reorg(ReorgLayer g, string name)
    {
        var x = _shaped.InputShape(g);
        var s = g.Stride;
        var input = Blob(g.Inputs[0]);
        if (g.Old)
        {
            // reorg_old_layer.c calls reorg_cpu on the input dims with forward=0: equal to viewing the input as
            // (C/s², H·s, W·s), space-to-depth by s, and viewing the result as (C·s², H/s, W/s).
            input = Reshape(name + "view", input, x.C / (s * s), x.H * s, x.W * s);
        }

        var blob = AddLayer(name + "reorg", [input], new NeuralNetworkLayer
        {
            ReorganizeData = new ReorganizeDataLayerParams { Mode = ReorganizeDataLayerParams.Types.ReorganizationType.SpaceToDepth, BlockSize = (ulong)s },
        });
        return g.Old ? Reshape(name + "unview", blob, x.C * s * s, x.H / s, x.W / s) : blob;
    }

    private string Reshape(string name, string input, int c, int h, int w)
    {
        var p = new ReshapeLayerParams();
        p.TargetShape.Add([c, h, w]);
        return AddLayer(name, [input], new NeuralNetworkLayer { Reshape = p });
    }

    private string Softmax(SoftmaxLayer s, string name)
    {
        var x = _shaped.InputShape(s);
        if (x.H != 1 || x.W != 1)
        {
            throw new UnsupportedFeatureException($"layer {s.Index} [softmax] takes the softmax of a {x} map; only 1x1 maps (after [avgpool]) are supported.", s.Source);
        }

        var input = s.Temperature == 1f ? Blob(s.Inputs[0]) : Linear(name + "temperature", Blob(s.Inputs[0]), 1f / s.Temperature);
        return AddLayer(name + "softmax", [input], new NeuralNetworkLayer { Softmax = new SoftmaxLayerParams() });
    }

    private string Activation(string name, string input, ActivationParams p) =>
        AddLayer(name, [input], new NeuralNetworkLayer { Activation = p });

    // activate_array and friends, src/activations.c.
    private string Activate(Layer layer, string input, Activation activation)
    {
        var name = Prefix(layer);
        switch (activation)
        {
            case Graph.Activation.Linear:
                return input;
            case Graph.Activation.Leaky or Graph.Activation.Revleaky:
                return Activation(name + "leaky", input, new ActivationParams { LeakyReLU = new ActivationLeakyReLU { Alpha = 0.1f } });
            case Graph.Activation.Relie:
                return Activation(name + "relie", input, new ActivationParams { LeakyReLU = new ActivationLeakyReLU { Alpha = 0.01f } });
            case Graph.Activation.Relu:
                return Activation(name + "relu", input, new ActivationParams { ReLU = new ActivationReLU() });
            case Graph.Activation.Logistic:
                return Activation(name + "logistic", input, new ActivationParams { Sigmoid = new ActivationSigmoid() });
            case Graph.Activation.Tanh:
                return Activation(name + "tanh", input, new ActivationParams { Tanh = new ActivationTanh() });
            case Graph.Activation.Elu:
                return Activation(name + "elu", input, new ActivationParams { ELU = new ActivationELU { Alpha = 1f } });
            case Graph.Activation.Selu:
                return Linear(name + "selu", Activation(name + "elu", input, new ActivationParams { ELU = new ActivationELU { Alpha = 1.6732f } }), 1.0507f);
            case Graph.Activation.Swish:
                {
                    var sigmoid = Activation(name + "swish_sigmoid", input, new ActivationParams { Sigmoid = new ActivationSigmoid() });
                    return AddLayer(name + "swish", [input, sigmoid], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });
                }

            case Graph.Activation.Mish when _options.Mish == MishLowering.Native:
                {
                    var softplus = Activation(name + "mish_softplus", input, new ActivationParams { Softplus = new ActivationSoftplus() });
                    var tanh = Activation(name + "mish_tanh", softplus, new ActivationParams { Tanh = new ActivationTanh() });
                    return AddLayer(name + "mish", [input, tanh], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });
                }

            case Graph.Activation.Mish when _options.Mish == MishLowering.Stable:
                {
                    // −|x| = min(x, −x); softplus(x) = relu(x) + softplus(−|x|); mish = x · tanh(softplus(x)).
                    var negated = Linear(name + "mish_neg", input, -1f);
                    var negAbs = AddLayer(name + "mish_negabs", [input, negated], new NeuralNetworkLayer { Min = new MinLayerParams() });
                    var small = Activation(name + "mish_softplus", negAbs, new ActivationParams { Softplus = new ActivationSoftplus() });
                    var relu = Activation(name + "mish_relu", input, new ActivationParams { ReLU = new ActivationReLU() });
                    var softplus = AddLayer(name + "mish_sum", [relu, small], new NeuralNetworkLayer { Add = new AddLayerParams() });
                    var tanh = Activation(name + "mish_tanh", softplus, new ActivationParams { Tanh = new ActivationTanh() });
                    return AddLayer(name + "mish", [input, tanh], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });
                }

            case Graph.Activation.Mish:
                CustomLayers++;
                return AddLayer(name + "mish", [input], new NeuralNetworkLayer
                {
                    Custom = new CustomLayerParams { ClassName = _options.MishClassName, Description = "Mish activation: x * tanh(softplus(x))" },
                });
            default:
                throw new UnsupportedFeatureException(
                    $"layer {layer.Index} [{layer.Kind}] uses activation={ActivationNames.Name(activation)}, which has no exact Core ML lowering.",
                    layer.Source, "supported: linear, leaky, relu, relie, logistic, tanh, elu, selu, swish, mish.");
        }
    }
}
