using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>Core ML's convolution (square kernels, any groups, dilation, valid or same padding), on packed kernels.</summary>
internal sealed class ConvolutionOp : IRuntimeOp
{
    public Layer.LayerOneofCase Kind => Layer.LayerOneofCase.Convolution;

    public string? Problem(Layer layer)
    {
        var p = layer.Convolution;
        if (p.IsDeconvolution)
        {
            return "a deconvolution";
        }

        if (p.ConvolutionPaddingTypeCase == ConvolutionLayerParams.ConvolutionPaddingTypeOneofCase.None)
        {
            return "a convolution without a padding type";
        }

        var k = Window.PairOrDefault(p.KernelSize, 3);
        var groups = Math.Max(1, (int)p.NGroups);
        var count = (long)(p.OutputChannels * p.KernelChannels * (ulong)k.H * (ulong)k.W);
        return k.H != k.W || Window.PairOrDefault(p.DilationFactor, 1) is var d && d.H != d.W ? "a non-square convolution"
            : WeightDecoder.Problem(p.Weights, count, (long)p.OutputChannels) is { } weights ? $"a convolution with {weights}"
            : p.HasBias && WeightDecoder.Problem(p.Bias, (long)p.OutputChannels, 1) is { } bias ? $"a convolution with a bias of {bias}"
            : (int)p.OutputChannels % groups != 0 ? "a convolution whose output channels do not divide into its groups"
            : null;
    }

    public InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site)
    {
        var p = layer.Convolution;
        var a = inputs[0];
        var (kh, kw) = Window.Pair(p.KernelSize, 3, "kernel size", site);
        var (sh, sw) = Window.Pair(p.Stride, 1, "stride", site);
        var (dh, dw) = Window.Pair(p.DilationFactor, 1, "dilation", site);
        var groups = p.NGroups == 0 ? 1UL : p.NGroups;
        if (p.OutputChannels is < 1 or > CoreMLModelValidator.MaxChannels || p.KernelChannels is < 1 or > CoreMLModelValidator.MaxChannels || groups > CoreMLModelValidator.MaxChannels)
        {
            throw site.Bad($"has outputChannels={p.OutputChannels}, kernelChannels={p.KernelChannels}, nGroups={p.NGroups}; expected 1 to {CoreMLModelValidator.MaxChannels:N0}");
        }

        CheckChannels(p, a, site);
        if (p.HasBias && p.Bias is { FloatValue.Count: > 0 } bias && (ulong)bias.FloatValue.Count != p.OutputChannels)
        {
            throw site.Bad($"has {bias.FloatValue.Count} bias values for {p.OutputChannels} output channels");
        }

        var (eh, ew) = (((kh - 1) * dh) + 1, ((kw - 1) * dw) + 1);
        var g = Window.Of(a, eh, ew, sh, sw, p.Valid, p.Same, site);
        var shape = Shapes.Map((long)p.OutputChannels, g.OutH, g.OutW, site);
        var columns = (long)p.KernelChannels * kh * kw * g.OutH * g.OutW;
        return new InferredShape(shape, (long)p.OutputChannels * columns, columns);
    }

    public Tensor Run(Layer layer, Tensor[] inputs, RunContext context)
    {
        var p = layer.Convolution;
        var x = inputs[0];
        var site = LayerSite.InRun(layer);
        CheckChannels(p, x.Shape, site);
        var (k, _) = Window.Pair(p.KernelSize, 3, "kernel size", site);
        var (sh, sw) = Window.Pair(p.Stride, 1, "stride", site);
        var (d, _) = Window.Pair(p.DilationFactor, 1, "dilation", site);
        var keff = ((k - 1) * d) + 1;
        var g = Window.Of(x.Shape, keff, keff, sh, sw, p.Valid, p.Same, site);
        var y = context.Output(new TensorShape((int)p.OutputChannels, (int)g.OutH, (int)g.OutW));
        Convolve(x, y, context.KernelOf(layer), (int)k, (int)sh, (int)sw, (int)d, g.Pad, Math.Max(1, (int)p.NGroups));
        return y;
    }

    /// <summary>
    /// y = kernel ∗ x (+ bias) for a square k×k kernel with strides, dilation and padding, in groups; y's shape gives
    /// the output channels and size.
    /// </summary>
    public static void Convolve(Tensor x, Tensor y, ConvKernel kernel, int k, int sh, int sw, int d, Padding pad, int groups)
    {
        var kc = x.C / groups;
        var n = y.H * y.W;
        var b = kernel.Bias;
        if (kernel.Depthwise is { } dw)
        {
            Depthwise(x, y, dw, b, k, sh, sw, d, pad);
            return;
        }

        // A 1×1 stride-1 unpadded convolution reads its input as the B matrix itself; others through im2col indexing.
        var direct = k == 1 && sh == 1 && sw == 1 && pad == default;
        var outPerGroup = y.C / groups;
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
                        Gemm.Multiply(kernel.Groups![g], n, new ConvColumns(plane, x.H, x.W, k, sh, sw, d, pad.Top, pad.Left, y.W), output, bias);
                    }
                }
            }
        }
    }

    // The input holds kernelChannels × groups channels, the outputs divide into the groups.
    private static void CheckChannels(ConvolutionLayerParams p, TensorShape a, LayerSite site)
    {
        var groups = p.NGroups == 0 ? 1UL : p.NGroups;
        if (p.KernelChannels * groups != (ulong)a.C || p.OutputChannels % groups != 0)
        {
            throw site.Bad($"expects {p.KernelChannels}x{groups} input channels and {p.OutputChannels} outputs in {groups} groups, but receives {a}");
        }
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
}
