using System.Globalization;
using CoreML.Specification;
using Google.Protobuf.Collections;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime;

/// <summary>
/// Checks a loaded model before anything runs, by inferring every blob's shape with the runtime's own (Core ML)
/// formulas: every input defined, strides, kernels, block sizes and paddings in range, shapes consistent, feature
/// maps within .NET's array limit and each layer's work within a budget. A damaged or hostile .mlmodel thus fails
/// with one located line (exit 2) instead of a DivideByZero, an overflow or an index out of range mid-run.
/// Layer kinds it has no shape rule for are left to the runtime's checks; blobs they produce are not followed.
/// </summary>
internal static class CoreMLModelValidator
{
    /// <summary>Kernel, stride, padding, dilation, block and scaling factors.</summary>
    public const ulong MaxWindow = 4096;

    /// <summary>Channels, output channels and groups.</summary>
    public const ulong MaxChannels = 65_536;

    /// <summary>Image input width and height.</summary>
    public const long MaxImageSide = 16_384;

    /// <summary>Elements of one blob: what a .NET float array holds.</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>Multiply-adds (convolution) or window cells (pooling) of one layer: 2^34, seconds to a minute on a small machine.</summary>
    public const long MaxWork = 1L << 34;

    /// <summary>Floats one layer holds at once (inputs, output, convolution columns): 2^27, 512 MiB.</summary>
    public const long MaxLayerFloats = 1L << 27;

    /// <summary>Validates the network and returns every blob's inferred shape (null where no rule follows it).</summary>
    public static IReadOnlyDictionary<string, TensorShape?> Validate(NeuralNetwork network, ModelInfo info, string fileName)
    {
        var where = new SourceLocation(fileName);
        if (info.Width < 1 || info.Height < 1 || info.Width > MaxImageSide || info.Height > MaxImageSide)
        {
            throw new DarknetFormatException(
                $"the image input '{Echo.Of(info.InputName)}' is {info.Width}x{info.Height}; expected sides from 1 to {MaxImageSide:N0}.", where,
                "the file is damaged or not a model written by yolo4convert.");
        }

        var shapes = new Dictionary<string, TensorShape?>(StringComparer.Ordinal)
        {
            [info.InputName] = new TensorShape(info.Grayscale ? 1 : 3, info.Height, info.Width),
        };
        for (var i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            var inputs = new TensorShape?[layer.Input.Count];
            for (var k = 0; k < inputs.Length; k++)
            {
                if (!shapes.TryGetValue(layer.Input[k], out inputs[k]))
                {
                    throw Fail(layer, i, where, $"reads blob '{Echo.Of(layer.Input[k])}', which neither the input nor an earlier layer produces");
                }
            }

            TensorShape? output = null;
            if (inputs.All(s => s is not null))
            {
                var known = inputs.Select(s => s!.Value).ToArray();
                var (shape, work, scratch) = Infer(layer, known, i, where);
                if (shape is { } s)
                {
                    var floats = known.Sum(t => t.Count) + s.Count + scratch;
                    if (work > MaxWork || floats > MaxLayerFloats)
                    {
                        throw new UnsupportedFeatureException(
                            $"Core ML layer {i} '{Echo.Of(layer.Name)}' ({layer.LayerCase}) would take {work:N0} operations and {floats * 4:N0} bytes on {string.Join(", ", known)}; the runtime allows {MaxWork:N0} operations and {MaxLayerFloats * 4:N0} bytes per layer.",
                            where, "run a model converted at a smaller --size, or check that the file is not damaged.");
                    }
                }

                output = shape;
            }

            foreach (var name in layer.Output)
            {
                shapes[name] = output;
            }
        }

        foreach (var (name, declared) in info.Outputs)
        {
            if (declared.C < 1 || declared.H < 1 || declared.W < 1 || declared.Count > MaxElements)
            {
                throw new DarknetFormatException($"output '{Echo.Of(name)}' is declared {declared}; expected a positive C×H×W shape.", where);
            }

            if (!shapes.TryGetValue(name, out var computed))
            {
                throw new DarknetFormatException($"the model declares output '{Echo.Of(name)}', but no layer produces it.", where,
                    "the file is damaged or not a model written by yolo4convert.");
            }

            if (computed is { } c && c.Count != declared.Count)
            {
                throw new DarknetFormatException($"output '{Echo.Of(name)}' is declared {declared} but its layers compute {c}.", where,
                    "the file is damaged or not a model written by yolo4convert.");
            }
        }

        return shapes;
    }

    private static (TensorShape? Shape, long Work, long Scratch) Infer(Layer layer, TensorShape[] x, int index, SourceLocation where)
    {
        DarknetFormatException Bad(string what) => Fail(layer, index, where, what);
        var a = x.Length > 0 ? x[0] : throw Bad("has no input");
        switch (layer.LayerCase)
        {
            case Layer.LayerOneofCase.Convolution:
                {
                    var p = layer.Convolution;
                    var (kh, kw) = Pair(p.KernelSize, 3, "kernel size", Bad);
                    var (sh, sw) = Pair(p.Stride, 1, "stride", Bad);
                    var (dh, dw) = Pair(p.DilationFactor, 1, "dilation", Bad);
                    var groups = p.NGroups == 0 ? 1UL : p.NGroups;
                    if (p.OutputChannels is < 1 or > MaxChannels || p.KernelChannels is < 1 or > MaxChannels || groups > MaxChannels)
                    {
                        throw Bad($"has outputChannels={p.OutputChannels}, kernelChannels={p.KernelChannels}, nGroups={p.NGroups}; expected 1 to {MaxChannels:N0}");
                    }

                    if (p.KernelChannels * groups != (ulong)a.C || p.OutputChannels % groups != 0)
                    {
                        throw Bad($"expects {p.KernelChannels}x{groups} input channels and {p.OutputChannels} outputs in {groups} groups, but receives {a}");
                    }

                    if (p.HasBias && p.Bias is { FloatValue.Count: > 0 } bias && (ulong)bias.FloatValue.Count != p.OutputChannels)
                    {
                        throw Bad($"has {bias.FloatValue.Count} bias values for {p.OutputChannels} output channels");
                    }

                    var (eh, ew) = (((kh - 1) * dh) + 1, ((kw - 1) * dw) + 1);
                    var (outH, outW) = Geometry(a, eh, ew, sh, sw, p.Valid, p.Same, Bad);
                    var shape = Shape((long)p.OutputChannels, outH, outW, Bad);
                    var columns = (long)p.KernelChannels * kh * kw * outH * outW;
                    return (shape, (long)p.OutputChannels * columns, columns);
                }

            case Layer.LayerOneofCase.Pooling:
                {
                    var p = layer.Pooling;
                    if (p.GlobalPooling)
                    {
                        return (new TensorShape(a.C, 1, 1), a.Count, 0);
                    }

                    var (kh, kw) = Pair(p.KernelSize, 3, "kernel size", Bad);
                    var (sh, sw) = Pair(p.Stride, 1, "stride", Bad);
                    var (outH, outW) = Geometry(a, kh, kw, sh, sw, p.Valid, p.Same, Bad);
                    return (Shape(a.C, outH, outW, Bad), (long)a.C * outH * outW * Math.Min(kh, a.H) * Math.Min(kw, a.W), 0);
                }

            case Layer.LayerOneofCase.Upsample:
                {
                    var (fh, fw) = Pair(layer.Upsample.ScalingFactor, 1, "scaling factor", Bad);
                    return (Shape(a.C, a.H * fh, a.W * fw, Bad), a.Count * fh * fw, 0);
                }

            case Layer.LayerOneofCase.Add or Layer.LayerOneofCase.Multiply:
                {
                    var shape = new TensorShape(x.Max(t => t.C), x.Max(t => t.H), x.Max(t => t.W));
                    if (x.Any(t => (t.C != shape.C && t.C != 1) || (t.H != shape.H && t.H != 1) || (t.W != shape.W && t.W != 1)))
                    {
                        throw Bad($"combines {string.Join(" and ", x)}, which do not broadcast");
                    }

                    return (shape, shape.Count * x.Length, 0);
                }

            case Layer.LayerOneofCase.Min:
                return x.Any(t => t != a) ? throw Bad($"takes the minimum of {string.Join(" and ", x)}; expected equal shapes") : (a, a.Count * x.Length, 0);
            case Layer.LayerOneofCase.Concat:
                return x.Any(t => t.H != a.H || t.W != a.W)
                    ? throw Bad($"concatenates maps of different sizes: {string.Join(", ", x)}")
                    : (Shape(x.Sum(t => (long)t.C), a.H, a.W, Bad), x.Sum(t => t.Count), 0);
            case Layer.LayerOneofCase.Reshape:
                {
                    var t = layer.Reshape.TargetShape;
                    if (t.Count is not (3 or 4) || (t.Count == 4 && t[0] != 1) || t.Any(d => d < 1 || d > int.MaxValue))
                    {
                        throw Bad($"reshapes to [{string.Join(",", t.Take(6))}]; expected a positive [C,H,W] target");
                    }

                    var shape = Shape(t[^3], t[^2], t[^1], Bad);
                    return shape.Count != a.Count ? throw Bad($"reshapes {a} to {shape}: the element counts differ") : (shape, a.Count, 0);
                }

            case Layer.LayerOneofCase.ReorganizeData:
                {
                    var p = layer.ReorganizeData;
                    if (p.BlockSize is < 1 or > MaxWindow)
                    {
                        throw Bad($"has blockSize={p.BlockSize}; expected 1 to {MaxWindow}");
                    }

                    var bs = (int)p.BlockSize;
                    if (p.Mode == ReorganizeDataLayerParams.Types.ReorganizationType.SpaceToDepth)
                    {
                        return a.H % bs != 0 || a.W % bs != 0
                            ? throw Bad($"moves {bs}x{bs} blocks of {a} to depth; expected height and width divisible by {bs}")
                            : (Shape((long)a.C * bs * bs, a.H / bs, a.W / bs, Bad), a.Count, 0);
                    }

                    return a.C % ((long)bs * bs) != 0
                        ? throw Bad($"moves depth of {a} to {bs}x{bs} blocks; expected channels divisible by {bs * bs}")
                        : (Shape(a.C / ((long)bs * bs), (long)a.H * bs, (long)a.W * bs, Bad), a.Count, 0);
                }

            case Layer.LayerOneofCase.Slice:
                {
                    var p = layer.Slice;
                    var size = p.Axis switch
                    {
                        SliceLayerParams.Types.SliceAxis.ChannelAxis => a.C,
                        SliceLayerParams.Types.SliceAxis.HeightAxis => a.H,
                        SliceLayerParams.Types.SliceAxis.WidthAxis => a.W,
                        _ => throw Bad($"slices along axis {(int)p.Axis}; expected channel, height or width"),
                    };
                    var start = p.StartIndex < 0 ? p.StartIndex + size : p.StartIndex;
                    var end = p.EndIndex < 0 ? p.EndIndex + size : Math.Min(p.EndIndex, size);
                    if (p.Stride is < 1 or > MaxWindow || start < 0 || start >= size || end <= start)
                    {
                        throw Bad($"slices [{p.StartIndex}, {p.EndIndex}) with stride {p.Stride} from {size}; expected 0 <= start < end <= {size} and a stride from 1 to {MaxWindow}");
                    }

                    var count = (end - start + (long)p.Stride - 1) / (long)p.Stride;
                    var shape = p.Axis switch
                    {
                        SliceLayerParams.Types.SliceAxis.ChannelAxis => a with { C = (int)count },
                        SliceLayerParams.Types.SliceAxis.HeightAxis => a with { H = (int)count },
                        _ => a with { W = (int)count },
                    };
                    return (shape, shape.Count, 0);
                }

            case Layer.LayerOneofCase.Activation or Layer.LayerOneofCase.Softmax or Layer.LayerOneofCase.Custom or Layer.LayerOneofCase.Unary:
                return (a, a.Count, 0);
            case Layer.LayerOneofCase.Scale:
                {
                    // Core ML's scale broadcasts a [1], [C], [1,H,W] or [C,H,W] constant.
                    bool Fits(RepeatedField<ulong> c) => c.Count == 1 ? c[0] == 1 || (long)c[0] == a.C
                        : c.Count == 3 && (c[0] == 1 || (long)c[0] == a.C) && (long)c[1] == a.H && (long)c[2] == a.W;
                    var p = layer.Scale;
                    return !Fits(p.ShapeScale) || (p.HasBias && !Fits(p.ShapeBias))
                        ? throw Bad($"scales a {a} blob by [{string.Join(",", p.ShapeScale)}] (bias [{string.Join(",", p.ShapeBias)}]); expected [1], [C], [1,H,W] or [C,H,W] of that blob")
                        : (a, a.Count, 0);
                }

            case Layer.LayerOneofCase.Permute:
                {
                    // Axes over [Seq, C, H, W], the sequence axis kept in place (checked by Operations.Check).
                    long[] d = [a.C, a.H, a.W];
                    var axes = layer.Permute.Axis;
                    var shape = new TensorShape((int)d[(int)axes[1] - 1], (int)d[(int)axes[2] - 1], (int)d[(int)axes[3] - 1]);
                    return (shape, shape.Count, 0);
                }

            default:
                return (null, 0, 0);
        }
    }

    // Output size with Core ML's padding: explicit amounts (valid) or out = ceil(in / stride) (same).
    private static (long H, long W) Geometry(TensorShape x, long kh, long kw, long sh, long sw, ValidPadding? valid, SamePadding? same, Func<string, DarknetFormatException> bad)
    {
        if (same is not null)
        {
            return ((x.H + sh - 1) / sh, (x.W + sw - 1) / sw);
        }

        var amounts = valid?.PaddingAmounts?.BorderAmounts_;
        if (amounts is not null && amounts.Count is not (0 or 2))
        {
            throw bad($"lists {amounts.Count} padding amounts; expected 2 (height, width)");
        }

        if (amounts is { Count: 2 } && amounts.Any(e => e.StartEdgeSize > MaxWindow || e.EndEdgeSize > MaxWindow))
        {
            throw bad($"pads by [{string.Join(", ", amounts.Select(e => $"{e.StartEdgeSize}/{e.EndEdgeSize}"))}]; expected paddings up to {MaxWindow}");
        }

        long top = 0, bottom = 0, left = 0, right = 0;
        if (amounts is { Count: 2 })
        {
            (top, bottom, left, right) = ((long)amounts[0].StartEdgeSize, (long)amounts[0].EndEdgeSize, (long)amounts[1].StartEdgeSize, (long)amounts[1].EndEdgeSize);
        }

        var h = x.H + top + bottom - kh;
        var w = x.W + left + right - kw;
        if (h < 0 || w < 0)
        {
            throw bad($"has a {kh}x{kw} window larger than its padded input {x.H + top + bottom}x{x.W + left + right}");
        }

        return ((h / sh) + 1, (w / sw) + 1);
    }

    private static (long H, long W) Pair(RepeatedField<ulong> values, long fallback, string what, Func<string, DarknetFormatException> bad)
    {
        if (values.Count == 0)
        {
            return (fallback, fallback);
        }

        if (values.Count != 2 || values.Any(v => v is < 1 or > MaxWindow))
        {
            throw bad($"has {what} [{string.Join(",", values.Take(4))}]; expected two values from 1 to {MaxWindow}");
        }

        return ((long)values[0], (long)values[1]);
    }

    private static TensorShape Shape(long c, long h, long w, Func<string, DarknetFormatException> bad) =>
        c is < 1 or > int.MaxValue || h is < 1 or > int.MaxValue || w is < 1 or > int.MaxValue || c * h * w > MaxElements
            ? throw bad($"would output {c}x{h}x{w}; expected a non-empty map of at most {MaxElements:N0} values")
            : new TensorShape((int)c, (int)h, (int)w);

    private static DarknetFormatException Fail(Layer layer, int index, SourceLocation where, string what) =>
        new($"Core ML layer {index} '{Echo.Of(layer.Name)}' ({layer.LayerCase}) {what}.", where,
            "the file is damaged or not a model written by yolo4convert; convert the model again.");
}
