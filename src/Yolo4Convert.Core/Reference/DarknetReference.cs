using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Reference;

/// <summary>
/// A direct forward pass over the layer graph with Darknet's own CPU formulas: im2col_cpu_ext indexing, unfused batch
/// norm with epsilon 1e-5, maxpool windows at o·stride − padding/2 over −FLT_MAX, flat-buffer route and shortcut,
/// reorg_cpu. It shares nothing with the Core ML lowering but the matrix product, so it can judge that lowering.
/// </summary>
public static class DarknetReference
{
    /// <summary>
    /// Runs the network on an input in [0,1] (CHW, RGB) and returns the raw tensor that feeds each detection head,
    /// keyed by the head's layer index.
    /// </summary>
    public static IReadOnlyDictionary<int, Tensor> Forward(WeightedNetwork weighted, ShapedNetwork shaped, Tensor input) => Forward(weighted, shaped, input, null);

    /// <summary>
    /// Runs the network as <see cref="Forward(WeightedNetwork, ShapedNetwork, Tensor)"/> does and hands every layer's
    /// output (after its activation) to <paramref name="observe"/> as soon as it is computed; the tensor is the pass's
    /// own buffer, valid only during the call (it is reused once the layers reading it have run).
    /// </summary>
    public static IReadOnlyDictionary<int, Tensor> Forward(WeightedNetwork weighted, ShapedNetwork shaped, Tensor input, Action<Layer, Tensor>? observe)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        ArgumentNullException.ThrowIfNull(shaped);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape != shaped.Network.InputShape)
        {
            throw new ArgumentException($"input is {input.Shape}; the network wants {shaped.Network.InputShape}", nameof(input));
        }

        EvaluationBudget.Check(shaped);
        var layers = shaped.Network.Layers;
        var lastUse = new int[layers.Length];
        foreach (var layer in layers)
        {
            foreach (var i in layer.Inputs.Where(i => i >= 0))
            {
                lastUse[i] = layer.Index;
            }
        }

        var heads = shaped.Network.Heads.ToDictionary(h => h.Inputs[0], h => h.Index);
        var outputs = new Tensor?[layers.Length];
        var result = new Dictionary<int, Tensor>();
        var pool = new TensorPool();

        // Freed outputs are reused by later layers of the same size; one im2col buffer for the whole pass, as large as the largest convolution needs.
        var columns = new float[layers.OfType<ConvolutionalLayer>().Select(c => ColumnCount(c, shaped)).DefaultIfEmpty(0).Max()];
        foreach (var layer in layers)
        {
            var inputs = layer.Inputs.Select(i => i < 0 ? input : outputs[i] ?? throw new InvalidOperationException($"layer {i} was freed")).ToArray();
            var y = pool.Rent(shaped.Shapes[layer.Index]);
            Run(layer, inputs, y, weighted.Weights[layer.Index], columns);
            outputs[layer.Index] = y;
            observe?.Invoke(layer, y);
            if (heads.TryGetValue(layer.Index, out var head))
            {
                result[head] = y;
            }

            foreach (var i in layer.Inputs.Where(i => i >= 0 && lastUse[i] == layer.Index))
            {
                if (!result.ContainsValue(outputs[i]!))
                {
                    pool.Return(outputs[i]!.Data);
                }

                outputs[i] = null;
            }
        }

        return result;
    }

    private static long ColumnCount(ConvolutionalLayer c, ShapedNetwork shaped)
    {
        var output = shaped.Shapes[c.Index];
        return (long)shaped.InputShape(c).C / c.Groups * c.Size * c.Size * output.H * output.W;
    }

    private static void Run(Layer layer, Tensor[] x, Tensor y, ConvWeights? weights, float[] columns)
    {
        switch (layer)
        {
            case ConvolutionalLayer c:
                Convolutional(c, x[0], y, weights!, columns);
                break;
            case MaxPoolLayer m:
                MaxPool(m, x[0], y);
                break;
            case LocalAvgPoolLayer a:
                LocalAvgPool(a, x[0], y);
                break;
            case AvgPoolLayer:
                for (var c = 0; c < y.C; c++)
                {
                    var sum = 0f;
                    for (var i = 0; i < x[0].H * x[0].W; i++)
                    {
                        sum += x[0].Data[(c * x[0].H * x[0].W) + i];
                    }

                    y.Data[c] = sum / (x[0].H * x[0].W);
                }

                break;
            case RouteLayer r:
                {
                    // forward_route_layer: the group_id-th 1/groups of each input's flat buffer, concatenated.
                    var offset = 0;
                    foreach (var t in x)
                    {
                        var part = t.Data.Length / r.Groups;
                        t.Data.AsSpan(r.GroupId * part, part).CopyTo(y.Data.AsSpan(offset));
                        offset += part;
                    }

                    break;
                }

            case ShortcutLayer s:
                x[0].Data.CopyTo(y.Data, 0);
                foreach (var from in x.Skip(1))
                {
                    // shortcut_multilayer_cpu: add by flat index where it exists in both buffers.
                    var n = Math.Min(from.Data.Length, y.Data.Length);
                    for (var i = 0; i < n; i++)
                    {
                        y.Data[i] += from.Data[i];
                    }
                }

                DarknetActivations.Apply(y.Data, s.Activation, layer);
                break;
            case UpsampleLayer u:
                for (var c = 0; c < y.C; c++)
                {
                    for (var j = 0; j < y.H; j++)
                    {
                        for (var i = 0; i < y.W; i++)
                        {
                            y.Data[(((c * y.H) + j) * y.W) + i] = u.Scale * x[0].Data[(((c * x[0].H) + (j / u.Stride)) * x[0].W) + (i / u.Stride)];
                        }
                    }
                }

                break;
            case ReorgLayer g:
                // forward_reorg_old_layer passes the input dims, forward_reorg_layer the output dims; both forward=0.
                if (g.Old)
                {
                    ReorgCpu(x[0].Data, x[0].W, x[0].H, x[0].C, g.Stride, y.Data);
                }
                else
                {
                    ReorgCpu(x[0].Data, y.W, y.H, y.C, g.Stride, y.Data);
                }

                break;
            case SoftmaxLayer sm:
                {
                    var max = x[0].Data.Max();
                    var sum = 0f;
                    for (var i = 0; i < y.Data.Length; i++)
                    {
                        y.Data[i] = MathF.Exp((x[0].Data[i] - max) / sm.Temperature);
                        sum += y.Data[i];
                    }

                    for (var i = 0; i < y.Data.Length; i++)
                    {
                        y.Data[i] /= sum;
                    }

                    break;
                }

            case ScaleChannelsLayer sc:
                {
                    var from = x[1];
                    var plane = from.H * from.W;
                    for (var i = 0; i < y.Data.Length; i++)
                    {
                        y.Data[i] = (sc.ScaleWh ? x[0].Data[i % plane] : x[0].Data[i / plane]) * from.Data[i];
                    }

                    DarknetActivations.Apply(y.Data, sc.Activation, layer);
                    break;
                }

            case SamLayer sa:
                for (var i = 0; i < y.Data.Length; i++)
                {
                    y.Data[i] = x[0].Data[i] * x[1].Data[i];
                }

                DarknetActivations.Apply(y.Data, sa.Activation, layer);
                break;
            case IdentityLayer or HeadLayer:
                x[0].Data.CopyTo(y.Data, 0);
                break;
            default:
                throw new UnsupportedFeatureException($"the reference forward pass cannot run layer {layer.Index} [{layer.Kind}].", layer.Source);
        }
    }

    private static void Convolutional(ConvolutionalLayer l, Tensor x, Tensor y, ConvWeights weights, float[] columns)
    {
        var cPerGroup = x.C / l.Groups;
        var nPerGroup = l.Filters / l.Groups;
        var k = cPerGroup * l.Size * l.Size;
        var n = y.H * y.W;
        for (var g = 0; g < l.Groups; g++)
        {
            Im2ColDarknet(x, g * cPerGroup, cPerGroup, l, y.H, y.W, columns);
            Gemm.Multiply(nPerGroup, n, k, weights.Kernel.AsSpan(g * nPerGroup * k, nPerGroup * k), columns, y.Data.AsSpan(g * nPerGroup * n, nPerGroup * n));
        }

        for (var f = 0; f < l.Filters; f++)
        {
            var plane = y.Data.AsSpan(f * n, n);
            if (weights.BatchNorm is { } bn)
            {
                // normalize_cpu, scale_bias, add_bias (src/blas.c, src/convolutional_layer.c)
                var std = MathF.Sqrt(bn.Variance[f] + .00001f);
                for (var i = 0; i < n; i++)
                {
                    plane[i] = ((plane[i] - bn.Mean[f]) / std * bn.Scales[f]) + weights.Biases[f];
                }
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    plane[i] += weights.Biases[f];
                }
            }
        }

        DarknetActivations.Apply(y.Data, l.Activation, l);
    }

    // im2col_cpu_ext (src/im2col.c): row c_col = (c·k + ky)·k + kx; the input row is ky·d + oy·stride − pad·d.
    private static void Im2ColDarknet(Tensor x, int firstChannel, int channels, ConvolutionalLayer l, int outH, int outW, float[] columns)
    {
        var k = l.Size;
        var pad = l.Padding * l.Dilation;
        ParallelChunks.For(channels * k * k, (r0, r1) =>
        {
            for (var cCol = r0; cCol < r1; cCol++)
            {
                var wOffset = cCol % k;
                var hOffset = cCol / k % k;
                var cIm = firstChannel + (cCol / k / k);
                for (var h = 0; h < outH; h++)
                {
                    var imRow = (hOffset * l.Dilation) + (h * l.StrideY) - pad;
                    for (var w = 0; w < outW; w++)
                    {
                        var imCol = (wOffset * l.Dilation) + (w * l.StrideX) - pad;
                        columns[(((long)cCol * outH) + h) * outW + w] = imRow < 0 || imCol < 0 || imRow >= x.H || imCol >= x.W
                            ? 0f
                            : x.Data[(((cIm * x.H) + imRow) * x.W) + imCol];
                    }
                }
            }
        }, minPerChunk: 1);
    }

    // forward_maxpool_layer (src/maxpool_layer.c)
    private static void MaxPool(MaxPoolLayer m, Tensor x, Tensor y)
    {
        // forward_maxpool_layer: cells outside the input read as -FLT_MAX and never win, so the window loops are
        // clipped to the input; the result is the same and a huge window costs no more than the map it covers.
        var offset = -m.Padding / 2;
        ParallelChunks.For(y.C, (c0, c1) =>
        {
            for (var k = c0; k < c1; k++)
            {
                for (var i = 0; i < y.H; i++)
                {
                    var top = offset + (i * m.StrideY);
                    int n0 = Math.Max(0, -top), n1 = Math.Min(m.Size, x.H - top);
                    for (var j = 0; j < y.W; j++)
                    {
                        var left = offset + (j * m.StrideX);
                        int mm0 = Math.Max(0, -left), mm1 = Math.Min(m.Size, x.W - left);
                        var max = -float.MaxValue;
                        for (var n = n0; n < n1; n++)
                        {
                            var row = ((k * x.H) + top + n) * x.W;
                            for (var mm = mm0; mm < mm1; mm++)
                            {
                                var val = x.Data[row + left + mm];
                                max = val > max ? val : max;
                            }
                        }

                        y.Data[(((k * y.H) + i) * y.W) + j] = max;
                    }
                }
            }
        }, minPerChunk: 1);
    }

    // forward_local_avgpool_layer (src/maxpool_layer.c): windows at o·stride − padding/2; the sum of the cells inside
    // the input divided by how many there are.
    private static void LocalAvgPool(LocalAvgPoolLayer a, Tensor x, Tensor y)
    {
        // The window loops are clipped to the input: the cells Darknet skips, in Darknet's order for the rest.
        var offset = -a.Padding / 2;
        ParallelChunks.For(y.C, (c0, c1) =>
        {
            for (var k = c0; k < c1; k++)
            {
                for (var i = 0; i < y.H; i++)
                {
                    var top = offset + (i * a.StrideY);
                    int n0 = Math.Max(0, -top), n1 = Math.Min(a.Size, x.H - top);
                    for (var j = 0; j < y.W; j++)
                    {
                        var left = offset + (j * a.StrideX);
                        int m0 = Math.Max(0, -left), m1 = Math.Min(a.Size, x.W - left);
                        var avg = 0f;
                        var counter = 0;
                        for (var n = n0; n < n1; n++)
                        {
                            var row = ((k * x.H) + top + n) * x.W;
                            for (var m = m0; m < m1; m++)
                            {
                                counter++;
                                avg += x.Data[row + left + m];
                            }
                        }

                        y.Data[(((k * y.H) + i) * y.W) + j] = avg / counter;
                    }
                }
            }
        }, minPerChunk: 1);
    }

    // reorg_cpu (src/blas.c) with forward = 0: out[in_index] = x[out_index].
    private static void ReorgCpu(float[] x, int w, int h, int c, int stride, float[] output)
    {
        var outC = c / (stride * stride);
        for (var k = 0; k < c; k++)
        {
            for (var j = 0; j < h; j++)
            {
                for (var i = 0; i < w; i++)
                {
                    var inIndex = i + (w * (j + (h * k)));
                    var c2 = k % outC;
                    var offset = k / outC;
                    var w2 = (i * stride) + (offset % stride);
                    var h2 = (j * stride) + (offset / stride);
                    var outIndex = w2 + (w * stride * (h2 + (h * stride * c2)));
                    output[inIndex] = x[outIndex];
                }
            }
        }
    }
}
