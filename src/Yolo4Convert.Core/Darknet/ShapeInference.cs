using System.Collections.Immutable;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>Computes every layer's output shape with Darknet's formulas and checks that the layers fit together.</summary>
public static class ShapeInference
{
    /// <summary>Runs the pass; errors carry the cfg location of the offending layer.</summary>
    public static ShapedNetwork Run(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = new TensorShape[network.Layers.Length];
        TensorShape Of(int i) => i < 0 ? network.InputShape : shapes[i];
        foreach (var layer in network.Layers)
        {
            var inputs = layer.Inputs.Select(Of).ToArray();
            var shape = Infer(layer, inputs);
            if (shape.C <= 0 || shape.H <= 0 || shape.W <= 0)
            {
                throw new DarknetFormatException(
                    $"layer {layer.Index} [{layer.Kind}] would output {shape} from input {inputs[0]}; expected a non-empty feature map.",
                    layer.Source, "the input size in [net] is too small for this network, or a stride/size is wrong.");
            }

            shapes[layer.Index] = shape;
            if (layer is ConvolutionalLayer conv && (long)conv.Filters * (inputs[0].C / conv.Groups) * conv.Size * conv.Size > CfgLimits.Elements)
            {
                throw Error(layer, $"would hold {(double)conv.Filters * (inputs[0].C / conv.Groups) * conv.Size * conv.Size:G3} kernel values; expected at most {CfgLimits.Elements:N0}.",
                    "filters, size or the input channels are far too large.");
            }
        }

        return new ShapedNetwork(network, [.. shapes]);
    }

    private static TensorShape Infer(Layer layer, TensorShape[] inputs)
    {
        var x = inputs[0];
        switch (layer)
        {
            case ConvolutionalLayer c:
                if (x.C % c.Groups != 0 || c.Filters % c.Groups != 0)
                {
                    throw Error(layer, $"has groups={c.Groups} but {x.C} input channels and {c.Filters} filters; expected both divisible by groups.");
                }

                // convolutional_out_height/width, src/convolutional_layer.c: dilation is not part of the size formula.
                return Dims(layer, c.Filters, ((x.H + (2L * c.Padding) - c.Size) / c.StrideY) + 1, ((x.W + (2L * c.Padding) - c.Size) / c.StrideX) + 1);
            case MaxPoolLayer m:
                return Dims(layer, x.C, ((x.H + (long)m.Padding - m.Size) / m.StrideY) + 1, ((x.W + (long)m.Padding - m.Size) / m.StrideX) + 1);
            case LocalAvgPoolLayer la:
                return Dims(layer, x.C, ((x.H + (long)la.Padding - la.Size) / la.StrideY) + 1, ((x.W + (long)la.Padding - la.Size) / la.StrideX) + 1);
            case AvgPoolLayer:
                return new TensorShape(x.C, 1, 1);
            case RouteLayer r:
                {
                    var channels = 0L;
                    for (var k = 0; k < inputs.Length; k++)
                    {
                        if (inputs[k].H != x.H || inputs[k].W != x.W)
                        {
                            throw Error(layer, $"joins layer {r.Inputs[0]} ({x}) with layer {r.Inputs[k]} ({inputs[k]}); expected equal height and width.");
                        }

                        if (inputs[k].C % r.Groups != 0)
                        {
                            throw Error(layer, $"splits layer {r.Inputs[k]} ({inputs[k].C} channels) into groups={r.Groups}; expected the channels to divide evenly.");
                        }

                        channels += inputs[k].C / r.Groups;
                    }

                    return Dims(layer, channels, x.H, x.W);
                }

            case ShortcutLayer:
                for (var k = 1; k < inputs.Length; k++)
                {
                    if (inputs[k].H != x.H || inputs[k].W != x.W)
                    {
                        throw Error(layer, $"adds layer {layer.Inputs[k]} ({inputs[k]}) to layer {layer.Inputs[0]} ({x}); expected equal height and width.");
                    }
                }

                return x;
            case UpsampleLayer u:
                return Dims(layer, x.C, (long)x.H * u.Stride, (long)x.W * u.Stride);
            case ReorgLayer g:
                {
                    var s2 = (long)g.Stride * g.Stride;
                    if (x.H % g.Stride != 0 || x.W % g.Stride != 0 || (g.Old && x.C % s2 != 0))
                    {
                        throw Error(layer, $"reorganises {x} by stride {g.Stride}; expected height and width{(g.Old ? " and channels/stride²" : string.Empty)} divisible by the stride.");
                    }

                    return Dims(layer, x.C * s2, x.H / g.Stride, x.W / g.Stride);
                }

            case IdentityLayer or SoftmaxLayer:
                return x;
            case ScaleChannelsLayer sc:
                {
                    var from = inputs[1];
                    var ok = sc.ScaleWh ? x.C == 1 && x.H == from.H && x.W == from.W : x.H == 1 && x.W == 1 && x.C == from.C;
                    if (!ok)
                    {
                        throw Error(layer, $"scales layer {layer.Inputs[1]} ({from}) by {x}; expected {(sc.ScaleWh ? $"1x{from.H}x{from.W}" : $"{from.C}x1x1")}.");
                    }

                    return from;
                }

            case SamLayer:
                if (inputs[1] != x)
                {
                    throw Error(layer, $"multiplies {x} by layer {layer.Inputs[1]} ({inputs[1]}); expected equal shapes.");
                }

                return x;
            case YoloLayer y:
                if (x.C != y.Mask.Length * (y.Classes + 5))
                {
                    throw Error(layer, $"receives {x.C} channels from layer {layer.Inputs[0]}; expected {y.Mask.Length * (y.Classes + 5)} = {y.Mask.Length} masked anchors × (classes={y.Classes} + 5).",
                        $"set filters={y.Mask.Length * (y.Classes + 5)} in the [convolutional] before this [yolo], or fix classes/mask.");
                }

                return x;
            case GaussianYoloLayer g:
                if (x.C != g.Mask.Length * (g.Classes + 9))
                {
                    throw Error(layer, $"receives {x.C} channels from layer {layer.Inputs[0]}; expected {g.Mask.Length * (g.Classes + 9)} = {g.Mask.Length} masked anchors × (classes={g.Classes} + 9).",
                        $"set filters={g.Mask.Length * (g.Classes + 9)} in the [convolutional] before this [Gaussian_yolo], or fix classes/mask.");
                }

                return x;
            case RegionLayer rg:
                if (x.C != rg.Num * (rg.Coords + 1 + rg.Classes))
                {
                    throw Error(layer, $"receives {x.C} channels from layer {layer.Inputs[0]}; expected {rg.Num * (rg.Coords + 1 + rg.Classes)} = num={rg.Num} × (coords={rg.Coords} + 1 + classes={rg.Classes}).",
                        $"set filters={rg.Num * (rg.Coords + 1 + rg.Classes)} in the [convolutional] before this [region].");
                }

                return x;
            default:
                throw new InvalidOperationException($"no shape rule for {layer.GetType().Name}");
        }
    }

    // Output sizes are computed in 64 bits; a map that cannot exist (over int dimensions or a .NET array) is an error.
    private static TensorShape Dims(Layer layer, long c, long h, long w)
    {
        if (c > int.MaxValue || h > int.MaxValue || w > int.MaxValue || (c > 0 && h > 0 && w > 0 && c * h * w > CfgLimits.Elements))
        {
            throw Error(layer, $"would output {c}x{h}x{w} = {(double)c * h * w:G3} values; expected at most {CfgLimits.Elements:N0} per feature map.",
                "the input size or an upsample/reorg stride is far too large.");
        }

        return new TensorShape((int)c, (int)h, (int)w);
    }

    private static DarknetFormatException Error(Layer layer, string what, string? hint = null) =>
        new($"layer {layer.Index} [{layer.Kind}] {what}", layer.Source, hint);
}
