using System.Text.Json.Nodes;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;

namespace Yolo4Convert.Keras;

/// <summary>
/// The Keras op table: lowers the IR to Keras layers (NHWC) with Darknet's exact math: kernels OIHW → HWIO, batch
/// norm kept as BatchNormalization(epsilon=1e-5), leaky as LeakyReLU(0.1), explicit pads as "valid", "same" or
/// ZeroPadding2D + "valid", channel slices as the ChannelSlice custom layer. Layers are named "{role}_{layer:D3}"
/// (helper nodes "{role}_{layer:D3}_{part}") after the Darknet layer each node comes from.
/// </summary>
internal sealed class KerasLowering
{
    /// <summary>Custom layer classes a reader must register to load the file.</summary>
    public static readonly IReadOnlyList<string> CustomClasses = ["Mish", "ChannelSlice", "DarknetReorg"];

    public const string InputName = "input";

    private delegate string Lowering(KerasLowering target, IrNode node, string[] inputs);

    private static readonly Dictionary<Type, Lowering> Ops = new()
    {
        [typeof(Conv2d)] = (t, n, x) => t.Convolution(n, (Conv2d)n.Op, x[0]),
        [typeof(MaxPool2d)] = (t, n, x) => t.MaxPool(n, (MaxPool2d)n.Op, x[0]),
        [typeof(AvgPool2d)] = (t, n, x) => t.AvgPool(n, (AvgPool2d)n.Op, x[0]),
        [typeof(GlobalAvgPool)] = (t, n, x) => t.Add(LayerName("reshape", n), "Reshape", new JsonObject { ["target_shape"] = new JsonArray(1, 1, n.Shape.C) },
            t.Add(Name(n), "GlobalAveragePooling2D", new JsonObject { ["data_format"] = "channels_last" }, x[0])),
        [typeof(Concat)] = (t, n, x) => t.Add(Name(n), "Concatenate", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["axis"] = -1 }, x),
        [typeof(ChannelSlice)] = (t, n, x) => t.Add(Name(n), "ChannelSlice",
            new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["start"] = ((ChannelSlice)n.Op).Start, ["end"] = ((ChannelSlice)n.Op).End }, x[0]),
        [typeof(Add)] = (t, n, x) => t.Add(Name(n), "Add", new JsonObject { ["trainable"] = true, ["dtype"] = "float32" }, x),
        [typeof(Mul)] = (t, n, x) => t.Add(Name(n), "Multiply", [], x),
        [typeof(UpsampleNearest)] = (t, n, x) => t.Add(Name(n), "UpSampling2D", new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["size"] = Pair(((UpsampleNearest)n.Op).Factor, ((UpsampleNearest)n.Op).Factor),
            ["data_format"] = "channels_last",
            ["interpolation"] = "nearest",
        }, x[0]),
        [typeof(SpaceToDepth)] = (t, n, x) => t.Add(Name(n), "DarknetReorg", new JsonObject { ["stride"] = ((SpaceToDepth)n.Op).Stride, ["old"] = ((SpaceToDepth)n.Op).Old }, x[0]),
        [typeof(Softmax)] = (t, n, x) => t.Add(Name(n), "Softmax", new JsonObject { ["axis"] = -1 }, x[0]),
        [typeof(ActivationOp)] = (t, n, x) => t.Activate(n, ((ActivationOp)n.Op).Function, x[0]),
    };

    private static readonly Dictionary<Type, string> Refused = new()
    {
        [typeof(Scale)] = "a multiplication by a constant (upsample scale, softmax temperature)",
    };

    // activate_array and friends, src/activations.c; Keras' own activations where they are Darknet's exactly.
    private static readonly Dictionary<Activation, Func<KerasLowering, IrNode, string, string>> Activations = new()
    {
        [Activation.Linear] = (_, _, input) => input,
        [Activation.Leaky] = (t, n, input) => t.Add(Name(n), "LeakyReLU", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["alpha"] = 0.1 }, input),
        [Activation.Revleaky] = (t, n, input) => t.Add(Name(n), "LeakyReLU", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["alpha"] = 0.1 }, input),
        [Activation.Relie] = (t, n, input) => t.Add(Name(n), "LeakyReLU", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["alpha"] = 0.01 }, input),
        [Activation.Logistic] = (t, n, input) => t.Named(n, "sigmoid", input),
        [Activation.Relu] = (t, n, input) => t.Named(n, "relu", input),
        [Activation.Tanh] = (t, n, input) => t.Named(n, "tanh", input),
        [Activation.Elu] = (t, n, input) => t.Named(n, "elu", input),
        [Activation.Swish] = (t, n, input) => t.Named(n, "swish", input),
        [Activation.Mish] = (t, n, input) => t.Add(Name(n), "Mish", new JsonObject { ["trainable"] = true, ["dtype"] = "float32" }, input),
    };

    private readonly IrGraph _graph;
    private readonly List<KerasLayer> _layers = [];
    private readonly string[] _tensors;

    // Needs the shapes only: the weights are named here and read by the writer when it writes them.
    public KerasLowering(IrGraph graph)
    {
        _graph = graph;
        _tensors = new string[graph.Nodes.Length];
    }

    /// <summary>What this table maps and refuses.</summary>
    public static OpCoverage Coverage { get; } = new(
        "Keras", Ops.Keys.ToHashSet(), Refused, [.. Activations.Keys],
        Enum.GetValues<Activation>().Where(a => !Activations.ContainsKey(a)).ToDictionary(a => a, _ => "no Keras activation computes it exactly"));

    public (List<KerasLayer> Layers, List<string> Outputs) Lower()
    {
        var net = _graph.Net;
        _layers.Add(new KerasLayer(InputName, "InputLayer", new JsonObject
        {
            ["batch_input_shape"] = new JsonArray(null, net.Height, net.Width, net.Channels),
            ["dtype"] = "float32",
            ["sparse"] = false,
            ["ragged"] = false,
        }, [], []));
        foreach (var node in _graph.Nodes)
        {
            var op = node.Op.GetType();
            if (!Ops.TryGetValue(op, out var lowering))
            {
                throw Unsupported(node, Refused.TryGetValue(op, out var what) ? what : op.Name);
            }

            _tensors[node.Id] = lowering(this, node, [.. node.Inputs.Select(Tensor)]);
        }

        var outputs = _graph.Heads.Select(h => Tensor(h.Value)).ToList();
        return (_layers, outputs);
    }

    // "conv_005"; a helper node of a role "route_005_slice0".
    private static string Name(IrNode node) =>
        node.Origin.Part is { } part ? $"{node.Origin.Role}_{node.Origin.Layer:D3}_{part}" : LayerName(node.Origin.Role, node);

    // A Keras-only layer beside a node's own: "pad_005", "bn_005", "reshape_005".
    private static string LayerName(string kind, IrNode node) => $"{kind}_{node.Origin.Layer:D3}";

    private static UnsupportedFeatureException Unsupported(IrNode node, string what) =>
        new($"layer {node.Origin.Layer} [{node.Origin.Kind}] uses {what}, which the Keras writer cannot express exactly.", node.Origin.Source);

    private string Tensor(int value) => value == IrGraph.Input ? InputName : _tensors[value];

    private string Add(string name, string className, JsonObject config, params string[] inbound) =>
        Add(name, className, config, inbound, []);

    private string Add(string name, string className, JsonObject config, string[] inbound, IReadOnlyList<KerasWeight> weights)
    {
        _layers.Add(new KerasLayer(name, className, config, inbound, weights));
        return name;
    }

    private static JsonArray Pair(int a, int b) => new(a, b);

    // TensorFlow's "same": out = ceil(in/s), total = max((out−1)·s + k − in, 0), the odd pixel at the end.
    private static (int Top, int Bottom)? Same(int input, int output, int kernel, int stride)
    {
        if (output != (input + stride - 1) / stride)
        {
            return null;
        }

        var total = Math.Max(((output - 1) * stride) + kernel - input, 0);
        return (total / 2, total - (total / 2));
    }

    // "valid" when nothing is padded, "same" when TensorFlow's split equals the pads, else null.
    private static string? KerasPadding(TensorShape x, TensorShape y, int kernel, int strideY, int strideX, Pads pads) =>
        pads.IsZero ? "valid"
            : Same(x.H, y.H, kernel, strideY) == (pads.Top, pads.Bottom) && Same(x.W, y.W, kernel, strideX) == (pads.Left, pads.Right) ? "same"
            : null;

    private string Pad(IrNode node, string input, Pads pads) =>
        Add(LayerName("pad", node), "ZeroPadding2D", new JsonObject
        {
            ["padding"] = new JsonArray(Pair(pads.Top, pads.Bottom), Pair(pads.Left, pads.Right)),
            ["data_format"] = "channels_last",
        }, input);

    private string Convolution(IrNode node, Conv2d c, string input)
    {
        var x = _graph.ShapeOf(node.Inputs[0]);
        var y = node.Shape;
        var padding = KerasPadding(x, y, c.Extent, c.StrideY, c.StrideX, c.Pads);
        if (padding is null)
        {
            // Darknet pads the top/left where TensorFlow's "same" pads the bottom/right (stride 2 on even sizes).
            input = Pad(node, input, c.Pads);
            padding = "valid";
        }

        var depthwise = c.Groups > 1 && c.Groups == x.C && c.Filters == x.C;
        var config = new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["kernel_size"] = Pair(c.KernelSize, c.KernelSize),
            ["strides"] = Pair(c.StrideY, c.StrideX),
            ["padding"] = padding,
            ["data_format"] = "channels_last",
            ["dilation_rate"] = Pair(c.Dilation, c.Dilation),
            ["activation"] = "linear",
            ["use_bias"] = !c.BatchNorm,
        };
        var name = Name(node);
        var weights = new List<KerasWeight>();
        if (depthwise)
        {
            config["depth_multiplier"] = 1;
            weights.Add(new KerasWeight($"{name}/depthwise_kernel:0", [c.KernelSize, c.KernelSize, x.C, 1], c.Weights, KerasWeightKind.Kernel));
        }
        else
        {
            config["filters"] = c.Filters;
            config["groups"] = c.Groups;
            weights.Add(new KerasWeight($"{name}/kernel:0", [c.KernelSize, c.KernelSize, x.C / c.Groups, c.Filters], c.Weights, KerasWeightKind.Kernel));
        }

        if (!c.BatchNorm)
        {
            weights.Add(new KerasWeight($"{name}/bias:0", [c.Filters], c.Weights, KerasWeightKind.Biases));
        }

        var output = Add(name, depthwise ? "DepthwiseConv2D" : "Conv2D", config, [input], weights);
        if (!c.BatchNorm)
        {
            return output;
        }

        // normalize_cpu, src/blas.c: (x − mean)/sqrt(variance + 1e-5)·scale + bias.
        var bnName = LayerName("bn", node);
        return Add(bnName, "BatchNormalization", new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["axis"] = -1,
            ["momentum"] = 0.99,
            ["epsilon"] = 1e-5,
            ["center"] = true,
            ["scale"] = true,
        }, [output],
        [
            new KerasWeight($"{bnName}/gamma:0", [c.Filters], c.Weights, KerasWeightKind.Scales),
            new KerasWeight($"{bnName}/beta:0", [c.Filters], c.Weights, KerasWeightKind.Biases),
            new KerasWeight($"{bnName}/moving_mean:0", [c.Filters], c.Weights, KerasWeightKind.Mean),
            new KerasWeight($"{bnName}/moving_variance:0", [c.Filters], c.Weights, KerasWeightKind.Variance),
        ]);
    }

    private string Named(IrNode node, string keras, string input) =>
        Add(Name(node), "Activation", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["activation"] = keras }, input);

    private string Activate(IrNode node, Activation activation, string input) => Activations.TryGetValue(activation, out var lowering)
        ? lowering(this, node, input)
        : throw Unsupported(node, $"activation={ActivationNames.Name(activation)}");

    // TensorFlow pads max pooling with -inf, as Darknet's -FLT_MAX, and its "same" average pooling divides by the cells
    // inside the input, as Darknet's [local_avgpool]: "same" is exact wherever its split of the padding agrees.
    private string MaxPool(IrNode node, MaxPool2d m, string input) => Pool(node, "MaxPooling2D", "maxpool", m.Size, m.StrideY, m.StrideX, m.Pads, input);

    private string AvgPool(IrNode node, AvgPool2d a, string input) => Pool(node, "AveragePooling2D", "average pooling", a.Size, a.StrideY, a.StrideX, a.Pads, input);

    private string Pool(IrNode node, string kerasClass, string what, int size, int strideY, int strideX, Pads pads, string input)
    {
        var padding = KerasPadding(_graph.ShapeOf(node.Inputs[0]), node.Shape, size, strideY, strideX, pads)
            ?? throw Unsupported(node, $"{what} padding ({pads.Top},{pads.Bottom})x({pads.Left},{pads.Right}) that TensorFlow's \"same\" does not produce");
        return Add(Name(node), kerasClass, new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["pool_size"] = Pair(size, size),
            ["strides"] = Pair(strideY, strideX),
            ["padding"] = padding,
            ["data_format"] = "channels_last",
        }, input);
    }
}
