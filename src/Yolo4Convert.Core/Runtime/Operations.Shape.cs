using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime;

/// <summary>Data-movement and multi-input layers.</summary>
internal static partial class Operations
{
    private static Tensor Softmax(Tensor x)
    {
        // Core ML's softmax runs over the channel axis at every pixel.
        var y = Output(x.Shape);
        var plane = x.H * x.W;
        for (var i = 0; i < plane; i++)
        {
            var max = float.NegativeInfinity;
            for (var c = 0; c < x.C; c++)
            {
                max = Math.Max(max, x.Data[(c * plane) + i]);
            }

            var sum = 0f;
            for (var c = 0; c < x.C; c++)
            {
                var e = MathF.Exp(x.Data[(c * plane) + i] - max);
                y.Data[(c * plane) + i] = e;
                sum += e;
            }

            for (var c = 0; c < x.C; c++)
            {
                y.Data[(c * plane) + i] /= sum;
            }
        }

        return y;
    }

    private static Tensor Upsample(UpsampleLayerParams p, Tensor x)
    {
        var (fh, fw) = p.ScalingFactor.Count == 2 ? ((int)p.ScalingFactor[0], (int)p.ScalingFactor[1]) : (1, 1);
        var y = Output(new TensorShape(x.C, x.H * fh, x.W * fw));
        ParallelChunks.For(x.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                for (var oy = 0; oy < y.H; oy++)
                {
                    var src = x.Data.AsSpan((c * x.H * x.W) + (oy / fh * x.W), x.W);
                    var dst = y.Data.AsSpan((c * y.H * y.W) + (oy * y.W), y.W);
                    for (var ox = 0; ox < y.W; ox++)
                    {
                        dst[ox] = src[ox / fw];
                    }
                }
            }
        }, minPerChunk: 1);
        return y;
    }

    // Add/multiply broadcast in rank-5 mode between [C,H,W], [C,1,1], [1,H,W] and [1,1,1].
    private static Tensor Elementwise(string name, Tensor[] inputs, float alpha, bool multiply)
    {
        if (inputs.Length == 1)
        {
            return Map(inputs[0], multiply ? v => v * alpha : v => v + alpha);
        }

        var shape = new TensorShape(inputs.Max(t => t.C), inputs.Max(t => t.H), inputs.Max(t => t.W));
        foreach (var t in inputs)
        {
            if ((t.C != shape.C && t.C != 1) || (t.H != shape.H && t.H != 1) || (t.W != shape.W && t.W != 1))
            {
                throw new DarknetFormatException($"layer '{name}' combines {string.Join(" and ", inputs.Select(i => i.Shape))}, which do not broadcast.", null);
            }
        }

        var y = Output(shape);
        var first = inputs[0];
        Broadcast(first, y, (_, v) => v);
        foreach (var t in inputs.Skip(1))
        {
            Broadcast(t, y, multiply ? (a, v) => a * v : (a, v) => a + v);
        }

        return y;
    }

    // MinLayer: element-wise minimum of same-shaped inputs.
    private static Tensor Minimum(string name, Tensor[] inputs)
    {
        if (inputs.Any(t => t.Shape != inputs[0].Shape))
        {
            throw new DarknetFormatException($"layer '{name}' takes the minimum of {string.Join(" and ", inputs.Select(i => i.Shape))}; expected equal shapes.", null);
        }

        var y = Output(inputs[0].Shape);
        inputs[0].Data.CopyTo(y.Data, 0);
        foreach (var t in inputs.Skip(1))
        {
            Broadcast(t, y, Math.Min);
        }

        return y;
    }

    private static void Broadcast(Tensor src, Tensor dst, Func<float, float, float> op)
    {
        var plane = dst.H * dst.W;
        if (src.Shape == dst.Shape)
        {
            ParallelChunks.For(dst.Data.Length, (a, b) =>
            {
                for (var i = a; i < b; i++)
                {
                    dst.Data[i] = op(dst.Data[i], src.Data[i]);
                }
            });
            return;
        }

        ParallelChunks.For(dst.C, (c0, c1) =>
        {
            for (var c = c0; c < c1; c++)
            {
                for (var i = 0; i < plane; i++)
                {
                    var sc = src.C == 1 ? 0 : c;
                    var si = src.H == 1 && src.W == 1 ? 0 : i;
                    dst.Data[(c * plane) + i] = op(dst.Data[(c * plane) + i], src.Data[(sc * src.H * src.W) + si]);
                }
            }
        }, minPerChunk: 1);
    }

    private static Tensor Reshape(Layer layer, Tensor x)
    {
        var t = layer.Reshape.TargetShape;
        if (t.Count is not (3 or 4) || (t.Count == 4 && t[0] != 1))
        {
            throw new UnsupportedFeatureException($"Core ML layer '{layer.Name}' reshapes to [{string.Join(",", t)}]; the runtime supports [C,H,W] targets.", null);
        }

        var shape = new TensorShape((int)t[^3], (int)t[^2], (int)t[^1]);
        if (shape.Count != x.Shape.Count)
        {
            throw new DarknetFormatException($"Core ML layer '{layer.Name}' reshapes {x.Shape} to {shape}: the element counts differ.", null);
        }

        var y = Output(shape);
        x.Data.CopyTo(y.Data, 0);
        return y;
    }

    private static Tensor Concat(string name, Tensor[] inputs)
    {
        var first = inputs[0];
        if (inputs.Any(t => t.H != first.H || t.W != first.W))
        {
            throw new DarknetFormatException($"layer '{name}' concatenates maps of different sizes: {string.Join(", ", inputs.Select(t => t.Shape))}.", null);
        }

        var y = Output(new TensorShape(inputs.Sum(t => t.C), first.H, first.W));
        var offset = 0;
        foreach (var t in inputs)
        {
            t.Data.CopyTo(y.Data, offset);
            offset += t.Data.Length;
        }

        return y;
    }

    private static Tensor Reorganize(ReorganizeDataLayerParams p, Tensor x)
    {
        var bs = (int)p.BlockSize;
        var toDepth = p.Mode == ReorganizeDataLayerParams.Types.ReorganizationType.SpaceToDepth;
        var y = toDepth
            ? Output(new TensorShape(x.C * bs * bs, x.H / bs, x.W / bs))
            : new Tensor(new TensorShape(x.C / (bs * bs), x.H * bs, x.W * bs));
        var (small, large) = toDepth ? (y, x) : (x, y);
        var c0 = large.C;

        // SPACE_TO_DEPTH: small[(dy·bs + dx)·C + c, h, w] = large[c, h·bs + dy, w·bs + dx].
        for (var oc = 0; oc < small.C; oc++)
        {
            var c = oc % c0;
            var block = oc / c0;
            int dy = block / bs, dx = block % bs;
            for (var h = 0; h < small.H; h++)
            {
                for (var w = 0; w < small.W; w++)
                {
                    var si = (((oc * small.H) + h) * small.W) + w;
                    var li = (((c * large.H) + (h * bs) + dy) * large.W) + (w * bs) + dx;
                    if (toDepth)
                    {
                        y.Data[si] = x.Data[li];
                    }
                    else
                    {
                        y.Data[li] = x.Data[si];
                    }
                }
            }
        }

        return y;
    }

    private static Tensor Slice(SliceLayerParams p, Tensor x)
    {
        var axis = p.Axis;
        var size = axis switch
        {
            SliceLayerParams.Types.SliceAxis.ChannelAxis => x.C,
            SliceLayerParams.Types.SliceAxis.HeightAxis => x.H,
            _ => x.W,
        };
        var start = (int)(p.StartIndex < 0 ? p.StartIndex + size : p.StartIndex);
        var end = (int)(p.EndIndex < 0 ? p.EndIndex + size : Math.Min(p.EndIndex, size));
        var stride = (int)p.Stride;
        var picked = Enumerable.Range(0, Math.Max(0, (end - start + stride - 1) / stride)).Select(i => start + (i * stride)).ToArray();
        var shape = axis switch
        {
            SliceLayerParams.Types.SliceAxis.ChannelAxis => x.Shape with { C = picked.Length },
            SliceLayerParams.Types.SliceAxis.HeightAxis => x.Shape with { H = picked.Length },
            _ => x.Shape with { W = picked.Length },
        };
        var y = Output(shape);
        for (var c = 0; c < y.C; c++)
        {
            for (var h = 0; h < y.H; h++)
            {
                for (var w = 0; w < y.W; w++)
                {
                    var (sc, sh, sw) = axis switch
                    {
                        SliceLayerParams.Types.SliceAxis.ChannelAxis => (picked[c], h, w),
                        SliceLayerParams.Types.SliceAxis.HeightAxis => (c, picked[h], w),
                        _ => (c, h, picked[w]),
                    };
                    y.Data[(((c * y.H) + h) * y.W) + w] = x.Data[(((sc * x.H) + sh) * x.W) + sw];
                }
            }
        }

        return y;
    }
}
