using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime;

/// <summary>The Core ML layers the runtime can evaluate, with Core ML's semantics.</summary>
internal static partial class Operations
{
    /// <summary>Whether <see cref="Check"/> accepts the layer.</summary>
    public static bool CanRun(Layer layer) => Problem(layer) is null && layer.Output.Count == 1 && layer.Input.Count > 0;

    /// <summary>Rejects, before running anything, a layer the runtime cannot evaluate exactly.</summary>
    public static void Check(Layer layer)
    {
        var problem = Problem(layer);
        if (problem is not null)
        {
            throw new UnsupportedFeatureException($"Core ML layer '{Echo.Of(layer.Name)}' is {problem}, which the runtime cannot run.", null,
                "the runtime runs the layer subset yolo4convert writes.");
        }

        if (layer.Output.Count != 1 || layer.Input.Count == 0)
        {
            throw new UnsupportedFeatureException($"Core ML layer '{Echo.Of(layer.Name)}' has {layer.Input.Count} inputs and {layer.Output.Count} outputs; the runtime expects one output.", null);
        }
    }

    private static string? Problem(Layer layer) => layer.LayerCase switch
        {
            Layer.LayerOneofCase.Convolution => CheckConvolution(layer.Convolution),
            Layer.LayerOneofCase.Pooling => layer.Pooling.Type == PoolingLayerParams.Types.PoolingType.L2 ? "L2 pooling"
                : layer.Pooling.PoolingPaddingTypeCase == PoolingLayerParams.PoolingPaddingTypeOneofCase.None ? "pooling without a padding type" : null,
            Layer.LayerOneofCase.Activation => layer.Activation.NonlinearityTypeCase == ActivationParams.NonlinearityTypeOneofCase.None ? "an activation without a type" : null,
            Layer.LayerOneofCase.Upsample => layer.Upsample.Mode != UpsampleLayerParams.Types.InterpolationMode.Nn ? "bilinear upsampling" : null,
            Layer.LayerOneofCase.Reshape => layer.Reshape.Mode != ReshapeLayerParams.Types.ReshapeOrder.ChannelFirst ? "CHANNEL_LAST reshape" : null,
            Layer.LayerOneofCase.Concat => layer.Concat.SequenceConcat ? "sequence concat" : null,
            Layer.LayerOneofCase.Slice => layer.Slice.Stride < 1 ? "a slice with stride 0" : null,
            Layer.LayerOneofCase.Permute => CheckPermute(layer.Permute),
            Layer.LayerOneofCase.Scale => CheckScale(layer.Scale),
            Layer.LayerOneofCase.Unary => layer.Unary.Type > UnaryFunctionLayerParams.Types.Operation.Threshold ? "an unknown unary function" : null,
            Layer.LayerOneofCase.Custom => layer.Custom.ClassName == "Mish" ? null : $"custom layer class '{Echo.Of(layer.Custom.ClassName)}' (only 'Mish' is known)",
            Layer.LayerOneofCase.Softmax or Layer.LayerOneofCase.Add or Layer.LayerOneofCase.Multiply or Layer.LayerOneofCase.Min or Layer.LayerOneofCase.ReorganizeData => null,
            Layer.LayerOneofCase.None => "a layer type the runtime does not know",
            _ => $"a '{layer.LayerCase}' layer",
        };

    private static string? CheckConvolution(ConvolutionLayerParams p)
    {
        if (p.IsDeconvolution)
        {
            return "a deconvolution";
        }

        if (p.ConvolutionPaddingTypeCase == ConvolutionLayerParams.ConvolutionPaddingTypeOneofCase.None)
        {
            return "a convolution without a padding type";
        }

        var k = Pair(p.KernelSize, 3);
        var groups = Math.Max(1, (int)p.NGroups);
        var count = (long)(p.OutputChannels * p.KernelChannels * (ulong)k.H * (ulong)k.W);
        return k.H != k.W || Pair(p.DilationFactor, 1) is var d && d.H != d.W ? "a non-square convolution"
            : WeightDecoder.Problem(p.Weights, count, (long)p.OutputChannels) is { } weights ? $"a convolution with {weights}"
            : p.HasBias && WeightDecoder.Problem(p.Bias, (long)p.OutputChannels, 1) is { } bias ? $"a convolution with a bias of {bias}"
            : (int)p.OutputChannels % groups != 0 ? "a convolution whose output channels do not divide into its groups"
            : null;
    }

    private static (int H, int W) Pair(Google.Protobuf.Collections.RepeatedField<ulong> v, int fallback) =>
        v.Count == 2 ? ((int)v[0], (int)v[1]) : (fallback, fallback);

    /// <summary>
    /// A convolution's weights and bias taken out of the message once per model (dequantized, see WeightDecoder):
    /// per group, the weights packed for the matrix product (<see cref="PackedMatrix"/>), or as plain [C·k·k]
    /// filters for a depthwise convolution.
    /// </summary>
    public sealed record ConvKernel(PackedMatrix[]? Groups, float[]? Depthwise, float[]? Bias)
    {
        /// <summary>The kernel of a convolution layer; the message's copy of the weights is then dropped.</summary>
        public static ConvKernel Take(ConvolutionLayerParams p)
        {
            var groups = Math.Max(1, (int)p.NGroups);
            var outC = (int)p.OutputChannels;
            var kdim = (int)p.KernelChannels * Pair(p.KernelSize, 3).H * Pair(p.KernelSize, 3).W;
            var w = WeightDecoder.Decode(p.Weights, outC * kdim, outC);
            var bias = p.HasBias && p.Bias is { } b ? WeightDecoder.Decode(b, outC, 1) : null;
            var kernel = IsDepthwise(p)
                ? new ConvKernel(null, w, bias)
                : new ConvKernel([.. Enumerable.Range(0, groups).Select(g => PackedMatrix.Pack(w.AsSpan(g * (outC / groups) * kdim), outC / groups, kdim))], null, bias);

            // RepeatedField.Clear keeps its array; a new WeightParams lets it go.
            p.Weights = new WeightParams();
            return kernel;
        }

        /// <summary>The same kernel with every value passed through <paramref name="map"/> (e.g. rounded to half).</summary>
        public ConvKernel Map(Func<float[], float[]> map) => new(
            Groups?.Select(g => g.Map(map)).ToArray(), Depthwise is null ? null : map(Depthwise), Bias is null ? null : map(Bias));
    }

    private static bool IsDepthwise(ConvolutionLayerParams p) =>
        p.NGroups > 1 && p.KernelChannels == 1 && p.OutputChannels == p.NGroups;

    // The pool of the run in progress on this thread (set by CoreMLRuntime.Run); outputs come from it when set.
    [ThreadStatic]
    private static TensorPool? t_pool;

    /// <summary>Makes the operations on this thread take their outputs from <paramref name="pool"/> until disposed.</summary>
    public static IDisposable UsePool(TensorPool pool)
    {
        t_pool = pool;
        return new PoolScope();
    }

    private sealed class PoolScope : IDisposable
    {
        public void Dispose() => t_pool = null;
    }

    private static Tensor Output(TensorShape shape) => t_pool?.Rent(shape) ?? new Tensor(shape);

    /// <summary>Evaluates one layer; convolutions take their weights from <paramref name="kernel"/>.</summary>
    public static Tensor Run(Layer layer, Tensor[] inputs, ConvKernel? kernel) => layer.LayerCase switch
    {
        Layer.LayerOneofCase.Convolution => Convolution(layer.Convolution, inputs[0], kernel!),
        Layer.LayerOneofCase.Pooling => Pooling(layer.Pooling, inputs[0]),
        Layer.LayerOneofCase.Activation => Activation(layer.Activation, inputs[0]),
        Layer.LayerOneofCase.Softmax => Softmax(inputs[0]),
        Layer.LayerOneofCase.Upsample => Upsample(layer.Upsample, inputs[0]),
        Layer.LayerOneofCase.Add => Elementwise(layer.Name, inputs, layer.Add.Alpha, multiply: false),
        Layer.LayerOneofCase.Multiply => Elementwise(layer.Name, inputs, layer.Multiply.Alpha, multiply: true),
        Layer.LayerOneofCase.Min => Minimum(layer.Name, inputs),
        Layer.LayerOneofCase.Reshape => Reshape(layer, inputs[0]),
        Layer.LayerOneofCase.Concat => Concat(layer.Name, inputs),
        Layer.LayerOneofCase.ReorganizeData => Reorganize(layer.ReorganizeData, inputs[0]),
        Layer.LayerOneofCase.Slice => Slice(layer.Slice, inputs[0]),
        Layer.LayerOneofCase.Custom => MapSpans(inputs[0], ActivationKernels.Mish),
        Layer.LayerOneofCase.Permute => Permute(layer.Permute, inputs[0]),
        Layer.LayerOneofCase.Scale => Scale(layer.Name, layer.Scale, inputs[0]),
        Layer.LayerOneofCase.Unary => Unary(layer.Unary, inputs[0]),
        _ => throw new InvalidOperationException($"unchecked layer {layer.Name}"),
    };

    private readonly record struct Padding(int Top, int Bottom, int Left, int Right);

    // ValidPadding: explicit amounts; SamePadding: out = ceil(in/s), the odd pixel at the bottom/right (or top/left).
    private static (int OutH, int OutW, Padding Pad) Geometry(int h, int w, int kh, int kw, int sh, int sw,
        ValidPadding? valid, SamePadding? same)
    {
        if (same is not null)
        {
            int outH = (h + sh - 1) / sh, outW = (w + sw - 1) / sw;
            int totalH = Math.Max(0, ((outH - 1) * sh) + kh - h), totalW = Math.Max(0, ((outW - 1) * sw) + kw - w);
            var topHeavy = same.AsymmetryMode == SamePadding.Types.SamePaddingMode.TopLeftHeavy;
            int top = topHeavy ? totalH - (totalH / 2) : totalH / 2, left = topHeavy ? totalW - (totalW / 2) : totalW / 2;
            return (outH, outW, new Padding(top, totalH - top, left, totalW - left));
        }

        var amounts = valid?.PaddingAmounts?.BorderAmounts_;
        var pad = amounts is { Count: 2 }
            ? new Padding((int)amounts[0].StartEdgeSize, (int)amounts[0].EndEdgeSize, (int)amounts[1].StartEdgeSize, (int)amounts[1].EndEdgeSize)
            : default;
        return (((h + pad.Top + pad.Bottom - kh) / sh) + 1, ((w + pad.Left + pad.Right - kw) / sw) + 1, pad);
    }

    private static Tensor Convolution(ConvolutionLayerParams p, Tensor x, ConvKernel kernel)
    {
        var k = Pair(p.KernelSize, 3).H;
        var (sh, sw) = Pair(p.Stride, 1);
        var d = Pair(p.DilationFactor, 1).H;
        var keff = ((k - 1) * d) + 1;
        var groups = Math.Max(1, (int)p.NGroups);
        var outC = (int)p.OutputChannels;
        var kc = (int)p.KernelChannels;
        if (kc * groups != x.C)
        {
            throw new DarknetFormatException($"a convolution expects {kc}x{groups} input channels but receives {x.C}.", null);
        }

        var (outH, outW, pad) = Geometry(x.H, x.W, keff, keff, sh, sw, p.Valid, p.Same);
        var y = Output(new TensorShape(outC, outH, outW));
        var n = outH * outW;
        var kdim = kc * k * k;
        var b = kernel.Bias;
        if (kernel.Depthwise is { } dw)
        {
            Depthwise(x, y, dw, b, k, sh, sw, d, pad);
            return y;
        }

        // A 1×1 stride-1 unpadded convolution reads its input as the B matrix itself; others through im2col indexing.
        var direct = k == 1 && sh == 1 && sw == 1 && pad == default;
        var outPerGroup = outC / groups;
        unsafe
        {
            fixed (float* input = x.Data)
            {
                for (var g = 0; g < groups; g++)
                {
                    var plane = input + ((long)g * kc * x.H * x.W);
                    var output = y.Data.AsSpan(g * outPerGroup * n, outPerGroup * n);
                    var bias = b is null ? default : b.AsSpan(g * outPerGroup, outPerGroup);
                    if (direct)
                    {
                        Gemm.Multiply(kernel.Groups![g], n, new DenseColumns(plane, n), output, bias);
                    }
                    else
                    {
                        Gemm.Multiply(kernel.Groups![g], n, new ConvColumns(plane, x.H, x.W, k, sh, sw, d, pad.Top, pad.Left, outW), output, bias);
                    }
                }
            }
        }

        return y;
    }

    private static void Depthwise(Tensor x, Tensor y, float[] w, float[]? b, int k, int sh, int sw, int d, Padding pad)
    {
        ParallelChunks.For(x.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                var src = x.Data.AsSpan(c * x.H * x.W, x.H * x.W);
                var dst = y.Data.AsSpan(c * y.H * y.W, y.H * y.W);
                var kernel = w.AsSpan(c * k * k, k * k);
                for (var oy = 0; oy < y.H; oy++)
                {
                    for (var ox = 0; ox < y.W; ox++)
                    {
                        var sum = b?[c] ?? 0f;
                        for (var ky = 0; ky < k; ky++)
                        {
                            var iy = (oy * sh) - pad.Top + (ky * d);
                            if (iy < 0 || iy >= x.H)
                            {
                                continue;
                            }

                            for (var kx = 0; kx < k; kx++)
                            {
                                var ix = (ox * sw) - pad.Left + (kx * d);
                                if (ix >= 0 && ix < x.W)
                                {
                                    sum += kernel[(ky * k) + kx] * src[(iy * x.W) + ix];
                                }
                            }
                        }

                        dst[(oy * y.W) + ox] = sum;
                    }
                }
            }
        }, minPerChunk: 1);
    }

    private static Tensor Pooling(PoolingLayerParams p, Tensor x)
    {
        var max = p.Type == PoolingLayerParams.Types.PoolingType.Max;
        if (p.GlobalPooling)
        {
            var g = Output(new TensorShape(x.C, 1, 1));
            var plane = x.H * x.W;
            for (var c = 0; c < x.C; c++)
            {
                var s = x.Data.AsSpan(c * plane, plane);
                var acc = max ? float.NegativeInfinity : 0f;
                foreach (var v in s)
                {
                    acc = max ? Math.Max(acc, v) : acc + v;
                }

                g.Data[c] = max ? acc : acc / plane;
            }

            return g;
        }

        var (kh, kw) = Pair(p.KernelSize, 3);
        var (sh, sw) = Pair(p.Stride, 1);
        var (outH, outW, pad) = Geometry(x.H, x.W, kh, kw, sh, sw, p.Valid, p.Same);
        var y = Output(new TensorShape(x.C, outH, outW));
        var exclude = p.AvgPoolExcludePadding;
        ParallelChunks.For(x.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                var src = x.Data.AsSpan(c * x.H * x.W, x.H * x.W);
                var dst = y.Data.AsSpan(c * outH * outW, outH * outW);
                for (var oy = 0; oy < outH; oy++)
                {
                    int y0 = (oy * sh) - pad.Top, ya = Math.Max(0, y0), yb = Math.Min(x.H, y0 + kh);
                    for (var ox = 0; ox < outW; ox++)
                    {
                        int x0 = (ox * sw) - pad.Left, xa = Math.Max(0, x0), xb = Math.Min(x.W, x0 + kw);

                        // Cells in the padding never win a max (they are -inf) and count as zeros for an average.
                        var acc = max ? float.NegativeInfinity : 0f;
                        for (var iy = ya; iy < yb; iy++)
                        {
                            for (var ix = xa; ix < xb; ix++)
                            {
                                var v = src[(iy * x.W) + ix];
                                acc = max ? Math.Max(acc, v) : acc + v;
                            }
                        }

                        dst[(oy * outW) + ox] = max ? acc : acc / (exclude ? Math.Max(1, (yb - ya) * (xb - xa)) : kh * kw);
                    }
                }
            }
        }, minPerChunk: 1);
        return y;
    }

    private static Tensor Map(Tensor x, Func<float, float> f)
    {
        var y = Output(x.Shape);
        ParallelChunks.For(x.Data.Length, (a, b) =>
        {
            var src = x.Data.AsSpan(a, b - a);
            var dst = y.Data.AsSpan(a, b - a);
            for (var i = 0; i < src.Length; i++)
            {
                dst[i] = f(src[i]);
            }
        });
        return y;
    }

    private delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    private static Tensor MapSpans(Tensor x, SpanMap f)
    {
        var y = Output(x.Shape);
        ParallelChunks.For(x.Data.Length, (a, b) => f(x.Data.AsSpan(a, b - a), y.Data.AsSpan(a, b - a)));
        return y;
    }

    private static float Softplus(float v) => v > 20f ? v : v < -20f ? MathF.Exp(v) : MathF.Log(1f + MathF.Exp(v));

    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    private static Tensor Activation(ActivationParams p, Tensor x)
    {
        switch (p.NonlinearityTypeCase)
        {
            case ActivationParams.NonlinearityTypeOneofCase.Linear:
                {
                    float a = p.Linear.Alpha, b = p.Linear.Beta;
                    return Map(x, v => (a * v) + b);
                }

            case ActivationParams.NonlinearityTypeOneofCase.ReLU:
                return Map(x, v => Math.Max(v, 0f));
            case ActivationParams.NonlinearityTypeOneofCase.LeakyReLU:
                {
                    var a = p.LeakyReLU.Alpha;
                    return MapSpans(x, (src, dst) => ActivationKernels.Leaky(src, dst, a));
                }

            case ActivationParams.NonlinearityTypeOneofCase.Tanh:
                return Map(x, MathF.Tanh);
            case ActivationParams.NonlinearityTypeOneofCase.Sigmoid:
                return Map(x, Sigmoid);
            case ActivationParams.NonlinearityTypeOneofCase.ELU:
                {
                    var a = p.ELU.Alpha;
                    return Map(x, v => v >= 0 ? v : a * (MathF.Exp(v) - 1f));
                }

            case ActivationParams.NonlinearityTypeOneofCase.Softplus:
                return Map(x, Softplus);
            default:
                throw new InvalidOperationException($"unchecked activation {p.NonlinearityTypeCase}");
        }
    }
}
