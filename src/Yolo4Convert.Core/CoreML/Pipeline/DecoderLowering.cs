using CoreML.Specification;
using Yolo4Convert.Diagnostics;
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
/// <remarks>
/// Darknet's math per head (yolo_layer.c get_yolo_box, region_layer.c get_region_box), cell (col, row), grid W×H:
/// [yolo] x = (col + σ(tx)·s − (s−1)/2)/W, w = e^tw·anchor_w/net_w, confidence = σ(obj)·σ(cls);
/// [yolo] new_coords=1: x = (col + tx·s − (s−1)/2)/W, w = (2·tw)²·anchor_w/net_w, confidence = obj·cls
/// (the conv's logistic already ran); [region] x = (col + σ(tx))/W, w = e^tw·anchor_w/W, confidence = σ(obj)·softmax(cls).
/// </remarks>
internal sealed class DecoderLowering(NeuralNetwork nn, NetOptions net)
{
    /// <summary>Decodes the heads into blobs named <paramref name="coordinatesName"/> and <paramref name="confidenceName"/>; returns N and C.</summary>
    public (int Boxes, int Classes) Append(IReadOnlyList<HeadDescription> heads, string coordinatesName, string confidenceName)
    {
        var classes = heads[0].Head.Classes;
        if (heads.FirstOrDefault(h => h.Head.Classes != classes)?.Head is { } other)
        {
            throw new UnsupportedFeatureException(
                $"layer {other.Layer} [{other.KindName}] has classes={other.Classes} but layer {heads[0].Head.Layer} has classes={classes}; one confidence matrix needs the same classes in every head.",
                other.Source);
        }

        var boxes = new List<string>();
        var confidences = new List<string>();
        var rows = 0;
        foreach (var head in heads)
        {
            var (box, confidence, n) = Head(head, single: heads.Count == 1, coordinatesName, confidenceName);
            boxes.Add(box);
            confidences.Add(confidence);
            rows += n;
        }

        if (heads.Count > 1)
        {
            Add("decode_coordinates", boxes, new NeuralNetworkLayer { Concat = new ConcatLayerParams() }, coordinatesName);
            Add("decode_confidence", confidences, new NeuralNetworkLayer { Concat = new ConcatLayerParams() }, confidenceName);
        }

        return (rows, classes);
    }

    private (string Boxes, string Confidence, int Rows) Head(HeadDescription head, bool single, string coordinatesName, string confidenceName)
    {
        var layer = head.Head;
        var anchors = layer.Anchors;
        var pixels = layer.Kind == HeadKind.Yolo;
        var a = layer.AnchorCount;
        var k = layer.Classes;
        var entries = k + 5;
        var (gh, gw) = (head.Shape.H, head.Shape.W);
        var cells = gh * gw;
        if (head.Shape.C != a * entries)
        {
            throw new UnsupportedFeatureException(
                $"layer {layer.Layer} [{layer.KindName}] reads {head.Shape.C} channels; {a} anchors × (5 + {k} classes) = {a * entries} were expected.", layer.Source);
        }

        var p = $"{layer.Layer:D3}_decode_";

        // [A·(5+K), H, W] → [A, 5+K, H·W] (a row-major reinterpretation) → [5+K, A, H·W]: one channel per entry.
        var view = Reshape(p + "view", head.OutputName, a, entries, cells);
        var entriesFirst = Permute(p + "entries", view, 0, 2, 1, 3);
        var txy = Slice(p + "txy", entriesFirst, 0, 2);
        var twh = Slice(p + "twh", entriesFirst, 2, 4);
        var obj = Slice(p + "obj", entriesFirst, 4, 5);
        var cls = Slice(p + "cls", entriesFirst, 5, entries);

        if (layer.Kind == HeadKind.Region && !layer.Softmax)
        {
            throw new UnsupportedFeatureException(
                $"layer {layer.Layer} [region] has softmax=0; the decoder follows yolov2's region head, which applies softmax to the classes.",
                layer.Source, "set softmax=1 as yolov2 does, or convert without --nms.");
        }

        var (logistic, scaleXY, newCoords) = (!layer.NewCoords, layer.ScaleXY, layer.NewCoords);

        // Centres: x = σ(tx)·(s/W) + (col − (s−1)/2)/W, y likewise with rows and H.
        var xyIn = logistic ? Sigmoid(p + "sig_xy", txy) : txy;
        var offset = -0.5f * (scaleXY - 1f);
        var grid = new float[2 * a * cells];
        for (var anchor = 0; anchor < a; anchor++)
        {
            for (var cell = 0; cell < cells; cell++)
            {
                grid[(anchor * cells) + cell] = ((cell % gw) + offset) / gw;
                grid[((a + anchor) * cells) + cell] = ((cell / gw) + offset) / gh;
            }
        }

        var xy = Scale(p + "xy", xyIn, [2], [scaleXY / gw, scaleXY / gh], [2, (ulong)a, (ulong)cells], grid);

        // Sizes: e^t (or (2t)² = 4t² with new_coords) times the anchor over the input (pixels) or grid (cells) size.
        var grow = newCoords
            ? Add(p + "sq_wh", [twh, twh], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() })
            : Add(p + "exp_wh", [twh], new NeuralNetworkLayer { Unary = new UnaryFunctionLayerParams { Type = UnaryFunctionLayerParams.Types.Operation.Exp } });
        var size = new float[2 * a * cells];
        var (divW, divH) = pixels ? ((float)net.Width, (float)net.Height) : (gw, gh);
        var factor = newCoords ? 4f : 1f;
        for (var anchor = 0; anchor < a; anchor++)
        {
            for (var cell = 0; cell < cells; cell++)
            {
                size[(anchor * cells) + cell] = factor * anchors[2 * anchor] / divW;
                size[((a + anchor) * cells) + cell] = factor * anchors[(2 * anchor) + 1] / divH;
            }
        }

        var wh = Scale(p + "wh", grow, [2, (ulong)a, (ulong)cells], size, null, null);
        var box = Add(p + "box", [xy, wh], new NeuralNetworkLayer { Concat = new ConcatLayerParams() });

        // Confidence = objectness × class probability, objectness tiled to K channels (rank-5 multiply does not
        // broadcast a [1,A,P] blob reliably).
        var objectness = logistic ? Sigmoid(p + "sig_obj", obj) : obj;
        var probability = layer.Kind == HeadKind.Region ? Add(p + "softmax", [cls], new NeuralNetworkLayer { Softmax = new SoftmaxLayerParams() })
            : logistic ? Sigmoid(p + "sig_cls", cls) : cls;
        var tiled = k == 1 ? objectness : Add(p + "obj_tile", Enumerable.Repeat(objectness, k), new NeuralNetworkLayer { Concat = new ConcatLayerParams() });
        var confidence = Add(p + "conf", [probability, tiled], new NeuralNetworkLayer { Multiply = new MultiplyLayerParams() });

        // [4 or K, A, H·W] → [H·W, A, 4 or K] → [H·W·A, 4 or K, 1]: one row per candidate, cell-major like Darknet.
        var rows = cells * a;
        var boxRows = Reshape(p + "box_rows", Permute(p + "box_t", box, 0, 3, 2, 1), rows, 4, 1, single ? coordinatesName : null);
        var confRows = Reshape(p + "conf_rows", Permute(p + "conf_t", confidence, 0, 3, 2, 1), rows, k, 1, single ? confidenceName : null);
        return (boxRows, confRows, rows);
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

    private string Slice(string name, string input, int start, int end) =>
        Add(name, [input], new NeuralNetworkLayer
        {
            Slice = new SliceLayerParams { StartIndex = start, EndIndex = end, Stride = 1, Axis = SliceLayerParams.Types.SliceAxis.ChannelAxis },
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
