using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;

namespace Yolo4Convert.CoreML.Pipeline;

/// <summary>
/// Appends to a NeuralNetwork the layers that decode every raw head into two blobs shared by all heads:
/// confidence rows (N × C, one per candidate box) and coordinates (N × 4: x, y, w, h of the box centre and size,
/// normalised to the model input, origin top-left). Rows are ordered as Darknet lists its candidates: by head,
/// then grid row, grid column and anchor. Only specification-1 layers are used, with the rank-5 layout's
/// semantics ([Seq, C, H, W], Seq = 1); the blobs come out as [N, 4, 1] and [N, C, 1].
/// </summary>
/// <remarks>The math of each head kind is worked out once, as data, by <see cref="HeadDecoding.Plan"/>.</remarks>
internal sealed class DecoderLowering(NeuralNetwork nn, NetOptions net)
{
    /// <summary>Decodes the heads into blobs named <paramref name="coordinatesName"/> and <paramref name="confidenceName"/>; returns N and C.</summary>
    public (int Boxes, int Classes) Append(IReadOnlyList<HeadDescription> heads, string coordinatesName, string confidenceName)
    {
        var plan = HeadDecoding.Plan([.. heads.Select(h => h.Head)], net.Width, net.Height);
        var boxes = new List<string>();
        var confidences = new List<string>();
        for (var i = 0; i < heads.Count; i++)
        {
            var (box, confidence) = Head(plan[i], heads[i].OutputName, single: heads.Count == 1, coordinatesName, confidenceName);
            boxes.Add(box);
            confidences.Add(confidence);
        }

        if (heads.Count > 1)
        {
            Add("decode_coordinates", boxes, new NeuralNetworkLayer { Concat = new ConcatLayerParams() }, coordinatesName);
            Add("decode_confidence", confidences, new NeuralNetworkLayer { Concat = new ConcatLayerParams() }, confidenceName);
        }

        return (HeadDecoding.TotalRows(plan), plan[0].Classes);
    }

    private (string Boxes, string Confidence) Head(HeadDecoding d, string input, bool single, string coordinatesName, string confidenceName)
    {
        var (a, k, entries, cells) = (d.Anchors, d.Classes, d.Entries, d.Cells);
        var p = LayerValueNames.NeuralNetwork(d.Head.Layer, LayerValueNames.DecoderRole);

        // [A·E, H, W] → [A, E, H·W] (a row-major reinterpretation) → [E, A, H·W]: one channel per entry. x, y, w, h
        // are every CoordinateStep-th entry from 0 (with uncertainties between them for [Gaussian_yolo]).
        var view = Reshape(p + "view", input, a, entries, cells);
        var entriesFirst = Permute(p + "entries", view, 0, 2, 1, 3);
        var step = d.CoordinateStep;
        var txy = Slice(p + "txy", entriesFirst, 0, step + 1, step);
        var twh = Slice(p + "twh", entriesFirst, 2 * step, (3 * step) + 1, step);
        var obj = Slice(p + "obj", entriesFirst, d.ObjectnessEntry, d.ObjectnessEntry + 1);
        var cls = Slice(p + "cls", entriesFirst, d.ClassEntry, entries);

        // Centres: x = xyIn·(s/W) + (col − (s−1)/2)/W, y likewise with rows and H; the offsets laid out [2, A, H·W].
        var xyIn = d.Logistic ? Sigmoid(p + "sig_xy", txy) : txy;
        var grid = new float[2 * a * cells];
        for (var anchor = 0; anchor < a; anchor++)
        {
            for (var cell = 0; cell < cells; cell++)
            {
                grid[(anchor * cells) + cell] = d.GridOffsets[2 * cell];
                grid[((a + anchor) * cells) + cell] = d.GridOffsets[(2 * cell) + 1];
            }
        }

        var xy = Scale(p + "xy", xyIn, [2], [d.ScaleX, d.ScaleY], [2, (ulong)a, (ulong)cells], grid);

        // Sizes: e^t (or t·t, the 4 of (2t)² being in the sizes) times the anchor sizes, laid out [2, A, H·W].
        var grow = d.Growth == SizeGrowth.Square
            ? Add(p + "sq_wh", [twh, twh], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() })
            : Add(p + "exp_wh", [twh], new NeuralNetworkLayer { Unary = new UnaryFunctionLayerParams { Type = UnaryFunctionLayerParams.Types.Operation.Exp } });
        var size = new float[2 * a * cells];
        for (var anchor = 0; anchor < a; anchor++)
        {
            for (var cell = 0; cell < cells; cell++)
            {
                size[(anchor * cells) + cell] = d.AnchorSizes[2 * anchor];
                size[((a + anchor) * cells) + cell] = d.AnchorSizes[(2 * anchor) + 1];
            }
        }

        var wh = Scale(p + "wh", grow, [2, (ulong)a, (ulong)cells], size, null, null);
        var box = Add(p + "box", [xy, wh], new NeuralNetworkLayer { Concat = new ConcatLayerParams() });

        // Confidence = objectness × class probability, objectness tiled to K channels (rank-5 multiply does not
        // broadcast a [1,A,P] blob reliably).
        var objectness = d.Logistic ? Sigmoid(p + "sig_obj", obj) : obj;
        if (d.HasUncertainty)
        {
            objectness = Add(p + "obj_certain", [objectness, Certainty(d, p, entriesFirst)], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });
        }

        var probability = d.Probability switch
        {
            ClassProbability.Softmax => Add(p + "softmax", [cls], new NeuralNetworkLayer { Softmax = new SoftmaxLayerParams() }),
            ClassProbability.Logistic => Sigmoid(p + "sig_cls", cls),
            _ => cls,
        };
        var tiled = k == 1 ? objectness : Add(p + "obj_tile", Enumerable.Repeat(objectness, k), new NeuralNetworkLayer { Concat = new ConcatLayerParams() });
        var confidence = Add(p + "conf", [probability, tiled], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });

        // [4 or K, A, H·W] → [H·W, A, 4 or K] → [H·W·A, 4 or K, 1]: one row per candidate, cell-major like Darknet.
        var boxRows = Reshape(p + "box_rows", Permute(p + "box_t", box, 0, 3, 2, 1), d.Rows, 4, 1, single ? coordinatesName : null);
        var confRows = Reshape(p + "conf_rows", Permute(p + "conf_t", confidence, 0, 3, 2, 1), d.Rows, k, 1, single ? confidenceName : null);
        return (boxRows, confRows);
    }

    // 1 − the mean of the four uncertainties u_i = σ(t_i)·scale_i + offset_i (entries 1, 3, 5, 7): [1, A, H·W].
    private string Certainty(HeadDecoding d, string p, string entriesFirst)
    {
        var sigmas = Sigmoid(p + "sig_uc", Slice(p + "uc", entriesFirst, 1, 8, 2));
        var scaled = Scale(p + "uc_scaled", sigmas, [4], [.. d.UncertaintyScale], [4], [.. d.UncertaintyOffset]);
        var parts = Enumerable.Range(0, 4).Select(i => Slice(p + $"uc{i}", scaled, i, i + 1)).ToList();
        var sum = Add(p + "uc_sum", parts, new NeuralNetworkLayer { Add = new AddLayerParams() });
        return Add(p + "certainty", [sum], new NeuralNetworkLayer
        {
            Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = -0.25f, Beta = 1f } },
        });
    }

    private string Add(string name, IEnumerable<string> inputs, NeuralNetworkLayer layer, string? output = null)
    {
        layer.Name = name;
        layer.Input.AddRange(inputs);
        layer.Output.Add(output ?? name);
        nn.Layers.Add(layer);
        return layer.Output[0];
    }

    private string Reshape(string name, string input, int c, int h, int w, string? output = null)
    {
        var p = new ReshapeLayerParams { Mode = ReshapeLayerParams.Types.ReshapeOrder.ChannelFirst };
        p.TargetShape.Add([c, h, w]);
        return Add(name, [input], new NeuralNetworkLayer { Reshape = p }, output);
    }

    private string Permute(string name, string input, params ulong[] axes)
    {
        var p = new PermuteLayerParams();
        p.Axis.Add(axes);
        return Add(name, [input], new NeuralNetworkLayer { Permute = p });
    }

    private string Slice(string name, string input, int start, int end, int stride = 1) =>
        Add(name, [input], new NeuralNetworkLayer
        {
            Slice = new SliceLayerParams { StartIndex = start, EndIndex = end, Stride = (ulong)stride, Axis = SliceLayerParams.Types.SliceAxis.ChannelAxis },
        });

    private string Sigmoid(string name, string input) =>
        Add(name, [input], new NeuralNetworkLayer { Activation = new ActivationParams { Sigmoid = new ActivationSigmoid() } });

    private string Scale(string name, string input, ulong[] scaleShape, float[] scale, ulong[]? biasShape, float[]? bias)
    {
        var p = new ScaleLayerParams { Scale = new WeightParams(), HasBias = bias is not null };
        p.ShapeScale.Add(scaleShape);
        p.Scale.FloatValue.Add(scale);
        if (bias is not null)
        {
            p.ShapeBias.Add(biasShape!);
            p.Bias = new WeightParams();
            p.Bias.FloatValue.Add(bias);
        }

        return Add(name, [input], new NeuralNetworkLayer { Scale = p });
    }
}
