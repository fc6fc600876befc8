using System.Text.Json.Nodes;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Keras;

/// <summary>
/// Lowers the Darknet layer graph to Keras layers (NHWC) with Darknet's exact math: kernels OIHW → HWIO,
/// batch norm as BatchNormalization(epsilon=1e-5), leaky as LeakyReLU(0.1), Darknet's asymmetric padding as
/// ZeroPadding2D + "valid", route groups and shortcut channel mismatches as channel slices.
/// </summary>
internal sealed class KerasLowering
{
    /// <summary>Custom layer classes a reader must register to load the file.</summary>
    public static readonly IReadOnlyList<string> CustomClasses = ["Mish", "ChannelSlice", "DarknetReorg"];

    private readonly ShapedNetwork _shaped;
    private readonly List<KerasLayer> _layers = [];
    private readonly string[] _tensors;

    // Needs the shapes only: the weights are named here and read by the writer when it writes them.
    public KerasLowering(ShapedNetwork shaped)
    {
        _shaped = shaped;
        _tensors = new string[shaped.Network.Layers.Length];
    }

    public const string InputName = "input";

    public (List<KerasLayer> Layers, List<string> Outputs) Lower()
    {
        var net = _shaped.Network;
        _layers.Add(new KerasLayer(InputName, "InputLayer", new JsonObject
        {
            ["batch_input_shape"] = new JsonArray(null, net.Net.Height, net.Net.Width, net.Net.Channels),
            ["dtype"] = "float32",
            ["sparse"] = false,
            ["ragged"] = false,
        }, [], []));
        foreach (var layer in net.Layers)
        {
            _tensors[layer.Index] = layer switch
            {
                ConvolutionalLayer c => Convolutional(c),
                MaxPoolLayer m => MaxPool(m),
                AvgPoolLayer a => Add(Name("reshape", a), "Reshape", new JsonObject { ["target_shape"] = new JsonArray(1, 1, _shaped.Shapes[a.Index].C) },
                    Add(Name("avgpool", a), "GlobalAveragePooling2D", new JsonObject { ["data_format"] = "channels_last" }, Tensor(a.Inputs[0]))),
                RouteLayer r => Route(r),
                ShortcutLayer s => Activate(s, Shortcut(s), s.Activation),
                UpsampleLayer u => Upsample(u),
                ReorgLayer g => Add(Name("reorg", g), "DarknetReorg", new JsonObject { ["stride"] = g.Stride, ["old"] = g.Old }, Tensor(g.Inputs[0])),
                SoftmaxLayer sm => sm.Temperature == 1f && _shaped.InputShape(sm) is { H: 1, W: 1 }
                    ? Add(Name("softmax", sm), "Softmax", new JsonObject { ["axis"] = -1 }, Tensor(sm.Inputs[0]))
                    : throw Unsupported(sm, "a softmax with a temperature or over a spatial map"),
                ScaleChannelsLayer sc => Activate(sc, Add(Name("scale", sc), "Multiply", [], Tensor(sc.Inputs[1]), Tensor(sc.Inputs[0])), sc.Activation),
                SamLayer sa => Activate(sa, Add(Name("sam", sa), "Multiply", [], Tensor(sa.Inputs[0]), Tensor(sa.Inputs[1])), sa.Activation),
                IdentityLayer or HeadLayer => Tensor(layer.Inputs[0]),
                _ => throw Unsupported(layer, $"[{layer.Kind}]"),
            };
        }

        var outputs = net.Heads.Select(h => Tensor(h.Inputs[0])).ToList();
        return (_layers, outputs);
    }

    private static string Name(string kind, Layer layer) => $"{kind}_{layer.Index:D3}";

    private static UnsupportedFeatureException Unsupported(Layer layer, string what) =>
        new($"layer {layer.Index} [{layer.Kind}] uses {what}, which the Keras writer cannot express exactly.", layer.Source);

    private string Tensor(int index) => index < 0 ? InputName : _tensors[index];

    private string Add(string name, string className, JsonObject config, params string[] inbound) =>
        Add(name, className, config, inbound, []);

    private string Add(string name, string className, JsonObject config, string[] inbound, IReadOnlyList<KerasWeight> weights)
    {
        _layers.Add(new KerasLayer(name, className, config, inbound, weights));
        return name;
    }

    private static JsonArray Pair(int a, int b) => new(a, b);

    // Darknet's top/left padding p·d and the bottom/right padding its output size needs.
    private static (int Top, int Bottom) Padding(int input, int output, int kernel, int stride, int start)
    {
        var end = ((output - 1) * stride) + kernel - input - start;
        return (start, Math.Max(0, end));
    }

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

    // "valid" when Darknet pads nothing, "same" when TensorFlow's split equals Darknet's, else null; with Darknet's padding.
    private static (string? Padding, (int Top, int Bottom) H, (int Top, int Bottom) W) KerasPadding(
        TensorShape x, TensorShape y, int kernel, int strideY, int strideX, int start)
    {
        var ph = Padding(x.H, y.H, kernel, strideY, start);
        var pw = Padding(x.W, y.W, kernel, strideX, start);
        var padding = ph == (0, 0) && pw == (0, 0) ? "valid"
            : Same(x.H, y.H, kernel, strideY) == ph && Same(x.W, y.W, kernel, strideX) == pw ? "same"
            : null;
        return (padding, ph, pw);
    }

    private string Pad(Layer layer, string input, (int Top, int Bottom) h, (int Top, int Bottom) w) =>
        Add(Name("pad", layer), "ZeroPadding2D", new JsonObject
        {
            ["padding"] = new JsonArray(Pair(h.Top, h.Bottom), Pair(w.Top, w.Bottom)),
            ["data_format"] = "channels_last",
        }, input);

    private string Convolutional(ConvolutionalLayer c)
    {
        var x = _shaped.InputShape(c);
        var y = _shaped.Shapes[c.Index];
        var input = Tensor(c.Inputs[0]);
        var (padding, ph, pw) = KerasPadding(x, y, ((c.Size - 1) * c.Dilation) + 1, c.StrideY, c.StrideX, c.Padding * c.Dilation);
        if (padding is null)
        {
            // Darknet pads the top/left where TensorFlow's "same" pads the bottom/right (stride 2 on even sizes).
            input = Pad(c, input, ph, pw);
            padding = "valid";
        }

        var depthwise = c.Groups > 1 && c.Groups == x.C && c.Filters == x.C;
        var config = new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["kernel_size"] = Pair(c.Size, c.Size),
            ["strides"] = Pair(c.StrideY, c.StrideX),
            ["padding"] = padding,
            ["data_format"] = "channels_last",
            ["dilation_rate"] = Pair(c.Dilation, c.Dilation),
            ["activation"] = "linear",
            ["use_bias"] = !c.BatchNormalize,
        };
        var name = Name("conv", c);
        var weights = new List<KerasWeight>();
        if (depthwise)
        {
            config["depth_multiplier"] = 1;
            weights.Add(new KerasWeight($"{name}/depthwise_kernel:0", [c.Size, c.Size, x.C, 1], c, KerasWeightKind.Kernel));
        }
        else
        {
            config["filters"] = c.Filters;
            config["groups"] = c.Groups;
            weights.Add(new KerasWeight($"{name}/kernel:0", [c.Size, c.Size, x.C / c.Groups, c.Filters], c, KerasWeightKind.Kernel));
        }

        if (!c.BatchNormalize)
        {
            weights.Add(new KerasWeight($"{name}/bias:0", [c.Filters], c, KerasWeightKind.Biases));
        }

        var output = Add(name, depthwise ? "DepthwiseConv2D" : "Conv2D", config, [input], weights);
        if (c.BatchNormalize)
        {
            var bnName = Name("bn", c);

            // normalize_cpu, src/blas.c: (x − mean)/sqrt(variance + 1e-5)·scale + bias.
            output = Add(bnName, "BatchNormalization", new JsonObject
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
                new KerasWeight($"{bnName}/gamma:0", [c.Filters], c, KerasWeightKind.Scales),
                new KerasWeight($"{bnName}/beta:0", [c.Filters], c, KerasWeightKind.Biases),
                new KerasWeight($"{bnName}/moving_mean:0", [c.Filters], c, KerasWeightKind.Mean),
                new KerasWeight($"{bnName}/moving_variance:0", [c.Filters], c, KerasWeightKind.Variance),
            ]);
        }

        return Activate(c, output, c.Activation);
    }

    private string Activate(Layer layer, string input, Activation activation)
    {
        JsonObject Basic() => new() { ["trainable"] = true, ["dtype"] = "float32" };
        string Named(string keras) => Add(Name(ActivationNames.Name(activation), layer), "Activation", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["activation"] = keras }, input);
        return activation switch
        {
            Activation.Linear => input,
            Activation.Leaky or Activation.Revleaky => Add(Name("leaky", layer), "LeakyReLU", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["alpha"] = 0.1 }, input),
            Activation.Relie => Add(Name("relie", layer), "LeakyReLU", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["alpha"] = 0.01 }, input),
            Activation.Logistic => Named("sigmoid"),
            Activation.Relu => Named("relu"),
            Activation.Tanh => Named("tanh"),
            Activation.Elu => Named("elu"),
            Activation.Swish => Named("swish"),
            Activation.Mish => Add(Name("mish", layer), "Mish", Basic(), input),
            _ => throw Unsupported(layer, $"activation={ActivationNames.Name(activation)}"),
        };
    }

    private string MaxPool(MaxPoolLayer m)
    {
        var x = _shaped.InputShape(m);
        var y = _shaped.Shapes[m.Index];
        // TensorFlow pads max pooling with -inf, as Darknet's -FLT_MAX, so "same" is exact where the split agrees.
        var (padding, ph, pw) = KerasPadding(x, y, m.Size, m.StrideY, m.StrideX, m.Padding / 2);
        if (padding is null)
        {
            throw Unsupported(m, $"maxpool padding ({ph.Top},{ph.Bottom})x({pw.Top},{pw.Bottom}) that TensorFlow's \"same\" does not produce");
        }

        return Add(Name("maxpool", m), "MaxPooling2D", new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["pool_size"] = Pair(m.Size, m.Size),
            ["strides"] = Pair(m.StrideY, m.StrideX),
            ["padding"] = padding,
            ["data_format"] = "channels_last",
        }, Tensor(m.Inputs[0]));
    }

    private string Slice(string name, string input, int start, int end) =>
        Add(name, "ChannelSlice", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["start"] = start, ["end"] = end }, input);

    private string Concat(string name, params string[] inputs) =>
        Add(name, "Concatenate", new JsonObject { ["trainable"] = true, ["dtype"] = "float32", ["axis"] = -1 }, inputs);

    private string Route(RouteLayer r)
    {
        var parts = new List<string>();
        for (var k = 0; k < r.Inputs.Length; k++)
        {
            var tensor = Tensor(r.Inputs[k]);
            if (r.Groups > 1)
            {
                var c = _shaped.InputShape(r, k).C / r.Groups;
                tensor = Slice($"{Name("route", r)}_slice{k}", tensor, r.GroupId * c, (r.GroupId + 1) * c);
            }

            parts.Add(tensor);
        }

        return parts.Count == 1 ? parts[0] : Concat(Name("route", r), [.. parts]);
    }

    private string Shortcut(ShortcutLayer s)
    {
        var name = Name("shortcut", s);
        var froms = s.Inputs.Skip(1).Select((i, k) => (Tensor(i), _shaped.InputShape(s, k + 1).C)).ToList();
        return ShortcutLowering.Lower(
            Tensor(s.Inputs[0]), _shaped.InputShape(s, 0).C, froms,
            (tensor, start, end, part) => Slice($"{name}_{part}", tensor, start, end),
            (tensors, part) => Add(part.Length == 0 ? name : $"{name}_{part}", "Add", new JsonObject { ["trainable"] = true, ["dtype"] = "float32" }, [.. tensors]),
            (a, b, part) => Concat($"{name}_{part}", a, b));
    }

    private string Upsample(UpsampleLayer u)
    {
        if (u.Scale != 1f)
        {
            throw Unsupported(u, $"scale={u.Scale}");
        }

        return Add(Name("upsample", u), "UpSampling2D", new JsonObject
        {
            ["trainable"] = true,
            ["dtype"] = "float32",
            ["size"] = Pair(u.Stride, u.Stride),
            ["data_format"] = "channels_last",
            ["interpolation"] = "nearest",
        }, Tensor(u.Inputs[0]));
    }
}
