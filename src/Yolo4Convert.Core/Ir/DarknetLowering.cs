using System.Collections.Immutable;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Ir;

/// <summary>
/// Lowers the Darknet layer graph to the target-neutral <see cref="IrGraph"/>: the one place outside the Darknet
/// reader and the Darknet reference that knows Darknet's layer kinds, and where Darknet's rules are decided once:
/// asymmetric convolution and pooling padding as explicit pads, route groups as channel slices, shortcuts over unequal
/// channel counts, the old [reorg], softmax temperature, upsample scale, and each head's own anchors. Layers that
/// compute nothing (dropout, a plain one-input route, heads, linear activations) alias their input's value.
/// </summary>
public sealed class DarknetLowering
{
    private readonly ShapedNetwork _shaped;
    private readonly int[] _values;
    private readonly List<IrNode> _nodes = [];

    private DarknetLowering(ShapedNetwork shaped)
    {
        _shaped = shaped;
        _values = new int[shaped.Network.Layers.Length];
    }

    /// <summary>Lowers a shaped network; errors carry the cfg location of the layer that cannot be expressed.</summary>
    public static IrGraph Lower(ShapedNetwork shaped)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        return new DarknetLowering(shaped).Run();
    }

    private IrGraph Run()
    {
        var network = _shaped.Network;
        foreach (var layer in network.Layers)
        {
            _values[layer.Index] = layer switch
            {
                ConvolutionalLayer c => Activate(c, Convolution(c), c.Activation),
                MaxPoolLayer m => MaxPool(m),
                LocalAvgPoolLayer la => LocalAvgPool(la),
                AvgPoolLayer a => Node(a, "avgpool", new GlobalAvgPool(), Value(a.Inputs[0])),
                RouteLayer r => Route(r),
                ShortcutLayer s => Activate(s, Shortcut(s), s.Activation),
                UpsampleLayer u => Upsample(u),
                ReorgLayer g => Node(g, "reorg", new SpaceToDepth(g.Stride, g.Old), Value(g.Inputs[0])),
                SoftmaxLayer sm => Softmax(sm),
                ScaleChannelsLayer sc => Activate(sc, Node(sc, "scale", new Mul(), Value(sc.Inputs[1]), Value(sc.Inputs[0])), sc.Activation),
                SamLayer sa => Activate(sa, Node(sa, "sam", new Mul(), Value(sa.Inputs[0]), Value(sa.Inputs[1])), sa.Activation),
                IdentityLayer or HeadLayer => Value(layer.Inputs[0]),
                _ => throw new UnsupportedFeatureException($"layer {layer.Index} [{layer.Kind}] has no lowering.", layer.Source),
            };
        }

        return new IrGraph(network.SourceName, network.Net, [.. _nodes], [.. network.Heads.Select(Head)]);
    }

    private int Value(int layer) => layer < 0 ? IrGraph.Input : _values[layer];

    private int Node(Layer layer, string role, IrOp op, params int[] inputs) => Node(new NodeOrigin(layer.Index, layer.Kind, layer.Source, role), op, inputs);

    private int Node(NodeOrigin origin, IrOp op, params int[] inputs)
    {
        var id = _nodes.Count;
        var shapes = inputs.Select(i => i == IrGraph.Input ? _shaped.Network.InputShape : _nodes[i].Shape).ToArray();
        _nodes.Add(new IrNode(id, op, [.. inputs], op.OutputShape(shapes), origin));
        return id;
    }

    // Darknet pads p·dilation zeros on every side and never reads past what its output size needs (im2col_cpu_ext,
    // src/im2col.c); the end padding is whatever makes floor((in + start + end − k)/s) + 1 Darknet's output size.
    private static Pads WindowPads(Layer layer, TensorShape input, TensorShape output, int extent, int strideY, int strideX, int start) =>
        new(start, EndPad(layer, output.H, strideY, extent, input.H, start), start, EndPad(layer, output.W, strideX, extent, input.W, start));

    private static int EndPad(Layer layer, int outSize, int stride, int k, int inSize, int start)
    {
        var end = ((outSize - 1) * stride) + k - inSize - start;
        if (end < 0 && Pads.OutputSize(inSize, start, 0, k, stride) != outSize)
        {
            throw new UnsupportedFeatureException(
                $"layer {layer.Index} [{layer.Kind}] has a geometry (input {inSize}, kernel {k}, stride {stride}, padding {start}) that no explicit padding reproduces.",
                layer.Source);
        }

        return Math.Max(0, end);
    }

    private int Convolution(ConvolutionalLayer c)
    {
        var extent = ((c.Size - 1) * c.Dilation) + 1;
        var pads = WindowPads(c, _shaped.InputShape(c), _shaped.Shapes[c.Index], extent, c.StrideY, c.StrideX, c.Padding * c.Dilation);
        return Node(c, "conv", new Conv2d(c.Filters, c.Size, c.StrideY, c.StrideX, c.Dilation, c.Groups, pads, c, c.BatchNormalize, _shaped.KernelCount(c)), Value(c.Inputs[0]));
    }

    // forward_maxpool_layer, src/maxpool_layer.c: windows start at o·stride − padding/2; cells outside are ignored.
    private int MaxPool(MaxPoolLayer m)
    {
        var pads = WindowPads(m, _shaped.InputShape(m), _shaped.Shapes[m.Index], m.Size, m.StrideY, m.StrideX, m.Padding / 2);
        return Node(m, "maxpool", new MaxPool2d(m.Size, m.StrideY, m.StrideX, pads), Value(m.Inputs[0]));
    }

    // forward_local_avgpool_layer, src/maxpool_layer.c: maxpool's windows; the sum over the cells inside the input
    // divided by their count, so padding is excluded from the mean.
    private int LocalAvgPool(LocalAvgPoolLayer a)
    {
        var pads = WindowPads(a, _shaped.InputShape(a), _shaped.Shapes[a.Index], a.Size, a.StrideY, a.StrideX, a.Padding / 2);
        return Node(a, "local_avgpool", new AvgPool2d(a.Size, a.StrideY, a.StrideX, pads), Value(a.Inputs[0]));
    }

    // route_layer.c: the group_id-th contiguous 1/groups of each input's channels, joined.
    private int Route(RouteLayer r)
    {
        var parts = new List<int>();
        for (var k = 0; k < r.Inputs.Length; k++)
        {
            var value = Value(r.Inputs[k]);
            if (r.Groups > 1)
            {
                var c = _shaped.InputShape(r, k).C / r.Groups;
                value = Node(Origin(r, "route", $"slice{k}"), new ChannelSlice(r.GroupId * c, (r.GroupId + 1) * c), value);
            }

            parts.Add(value);
        }

        return parts.Count == 1 ? parts[0] : Node(r, "route", new Concat(), [.. parts]);
    }

    private static NodeOrigin Origin(Layer layer, string role, string? part = null) => new(layer.Index, layer.Kind, layer.Source, role, part);

    // shortcut_multilayer_cpu, src/blas.c: each `from` adds into the first min(C, C_from) channels only.
    private int Shortcut(ShortcutLayer s)
    {
        var channels = _shaped.InputShape(s, 0).C;
        var acc = Value(s.Inputs[0]);
        var sameSize = new List<int>();
        for (var k = 1; k < s.Inputs.Length; k++)
        {
            var from = Value(s.Inputs[k]);
            var c = _shaped.InputShape(s, k).C;
            if (c == channels)
            {
                sameSize.Add(from);
            }
            else if (c > channels)
            {
                sameSize.Add(Node(Origin(s, "shortcut", $"from{k}"), new ChannelSlice(0, channels), from));
            }
            else
            {
                var head = Node(Origin(s, "shortcut", $"head{k}"), new ChannelSlice(0, c), acc);
                var tail = Node(Origin(s, "shortcut", $"tail{k}"), new ChannelSlice(c, channels), acc);
                var sum = Node(Origin(s, "shortcut", $"add{k}"), new Add(), head, from);
                acc = Node(Origin(s, "shortcut", $"join{k}"), new Concat(), sum, tail);
            }
        }

        return sameSize.Count == 0 ? acc : Node(s, "shortcut", new Add(), [acc, .. sameSize]);
    }

    // upsample_cpu, src/blas.c multiplies by scale.
    private int Upsample(UpsampleLayer u)
    {
        var value = Node(u, "upsample", new UpsampleNearest(u.Stride), Value(u.Inputs[0]));
        return u.Scale == 1f ? value : Node(u, "scale", new Scale(u.Scale), value);
    }

    // softmax_cpu, src/blas.c: exp((x − max)/temperature) normalised, over the channels of the 1×1 map [avgpool] leaves.
    private int Softmax(SoftmaxLayer s)
    {
        var x = _shaped.InputShape(s);
        if (x.H != 1 || x.W != 1)
        {
            throw new UnsupportedFeatureException($"layer {s.Index} [softmax] takes the softmax of a {x} map; only 1x1 maps (after [avgpool]) are supported.", s.Source);
        }

        var input = Value(s.Inputs[0]);
        if (s.Temperature != 1f)
        {
            input = Node(s, "temperature", new Scale(1f / s.Temperature), input);
        }

        return Node(s, "softmax", new Softmax(), input);
    }

    // activate_array and friends, src/activations.c: linear is the identity; the node's role is the activation's
    // cfg name (revleaky computes leaky at inference and takes its name).
    private int Activate(Layer layer, int input, Activation activation) => activation == Activation.Linear
        ? input
        : Node(layer, ActivationNames.Name(activation == Activation.Revleaky ? Activation.Leaky : activation), new ActivationOp(activation), input);

    private IrHead Head(HeadLayer head)
    {
        var shape = _shaped.InputShape(head);
        var stride = _shaped.Network.Net.Height / shape.H;
        var lowered = head switch
        {
            YoloLayer y => new IrHead(
                Value(y.Inputs[0]), shape, stride, HeadKind.Yolo, y.Index, y.Inputs[0], y.Source, y.Classes,
                [.. y.Mask.SelectMany(m => new[] { y.Anchors[2 * m], y.Anchors[(2 * m) + 1] })], y.Mask, y.ScaleXY, y.NewCoords, Softmax: false),
            GaussianYoloLayer g => new IrHead(
                Value(g.Inputs[0]), shape, stride, HeadKind.GaussianYolo, g.Index, g.Inputs[0], g.Source, g.Classes,
                [.. g.Mask.SelectMany(m => new[] { g.Anchors[2 * m], g.Anchors[(2 * m) + 1] })], g.Mask, g.ScaleXY, NewCoords: false, Softmax: false),
            RegionLayer r => new IrHead(
                Value(r.Inputs[0]), shape, stride, HeadKind.Region, r.Index, r.Inputs[0], r.Source, r.Classes,
                [.. r.Anchors.Take(2 * r.Num)], [], 1f, NewCoords: false, r.Softmax),
            _ => throw new InvalidOperationException($"unknown head kind {head.Kind}"),
        };
        return lowered with { Nms = head.Nms };
    }
}
