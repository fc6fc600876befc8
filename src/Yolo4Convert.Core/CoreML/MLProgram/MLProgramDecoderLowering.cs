using CoreML.Specification.MILSpec;
using Yolo4Convert.Ir;
using MilValueType = CoreML.Specification.MILSpec.ValueType;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>
/// Appends to an ML Program's main block the ops that decode every raw head into the two matrices a
/// nonMaximumSuppression model reads: confidences [N, K] and coordinates [N, 4] (x, y, w, h of the box centre and
/// size, normalised to the input, origin top-left), fp32 whatever the program's compute dtype. Rows come as in the
/// NeuralNetwork decoder: by head, then grid row, grid column and anchor. The math of each head is its
/// <see cref="HeadDecoding"/>; this class only lays the plan's numbers out and emits ops (rank 3 at most).
/// </summary>
/// <remarks>
/// The decoder's constants (scales, grid offsets, anchor sizes) are immediate consts of the compute dtype: they are
/// computed here, not read from the .weights file, so the weight file holds exactly the convolutions' blobs.
/// </remarks>
internal sealed class MLProgramDecoderLowering(MLProgramLowering lowering)
{
    private readonly MilBlockBuilder _b = lowering.Builder;

    /// <summary>
    /// Decodes the heads (<paramref name="values"/>: each head's value, [1, A·(5+K), H, W] in the compute dtype) into
    /// block outputs named <paramref name="confidenceName"/> and <paramref name="coordinatesName"/> (in that order);
    /// each head's raw value is also named after its output name, so it can be read back.
    /// </summary>
    public (int Boxes, int Classes) Append(
        IReadOnlyList<HeadDescription> heads, IReadOnlyList<string> values, int netWidth, int netHeight, string coordinatesName, string confidenceName)
    {
        var plan = HeadDecoding.Plan([.. heads.Select(h => h.Head)], netWidth, netHeight);
        var boxes = new List<string>();
        var confidences = new List<string>();
        for (var i = 0; i < heads.Count; i++)
        {
            var raw = _b.Op("identity", heads[i].OutputName, _b.TypeOf(values[i]), ("x", values[i]));
            if (raw != heads[i].OutputName)
            {
                throw new InvalidOperationException($"the head name {heads[i].OutputName} is taken inside the program");
            }

            var (box, confidence) = Head(plan[i], raw);
            boxes.Add(box);
            confidences.Add(confidence);
        }

        var (rows, classes) = (HeadDecoding.TotalRows(plan), plan[0].Classes);
        _b.Block.Outputs.Add(Output(confidenceName, confidences, rows, classes));
        _b.Block.Outputs.Add(Output(coordinatesName, boxes, rows, 4));
        return (rows, classes);
    }

    // The heads' rows joined (one head: as they are), as fp32 under the output's name.
    private string Output(string name, List<string> parts, int rows, int columns)
    {
        var fp32 = _b.Compute == DataType.Float32;
        var joined = parts.Count == 1 ? parts[0]
            : _b.Op("concat", fp32 ? name : name + "_rows", MilBlockBuilder.Tensor(_b.Compute, rows, columns),
                ("values", [.. parts]), ("axis", [_b.Int(name + "_axis", 0)]), ("interleave", [_b.Bool(name + "_interleave", false)]));
        var output = fp32
            ? (joined == name ? joined : _b.Op("identity", name, _b.TypeOf(joined), ("x", joined)))
            : lowering.Cast(name, joined, "fp32", DataType.Float32);
        return output == name ? output : throw new InvalidOperationException($"the output name {name} is taken inside the program");
    }

    private (string Boxes, string Confidence) Head(HeadDecoding d, string input)
    {
        var (a, k, entries, cells) = (d.Anchors, d.Classes, d.Entries, d.Cells);
        var p = LayerValueNames.MLProgram(d.Head.Layer, LayerValueNames.DecoderRole);

        // [1, A·E, H, W] → [A, E, H·W] (row-major) → [H·W, A, E]: a row per (cell, anchor), cell-major like Darknet.
        // x, y, w, h are every CoordinateStep-th entry from 0 (with uncertainties between them for [Gaussian_yolo]).
        var view = Reshape(p + "view", input, a, entries, cells);
        var rows = _b.Op("transpose", p + "rows", Type(cells, a, entries), ("x", view), ("perm", _b.Ints(p + "rows_perm", 2, 0, 1)));
        var step = d.CoordinateStep;
        var txy = Slice(p + "txy", rows, cells, a, 0, step + 1, step);
        var twh = Slice(p + "twh", rows, cells, a, 2 * step, (3 * step) + 1, step);
        var obj = Slice(p + "obj", rows, cells, a, d.ObjectnessEntry, d.ObjectnessEntry + 1);
        var cls = Slice(p + "cls", rows, cells, a, d.ClassEntry, entries);

        // Centres: x = xyIn·(s/W) + (col − (s−1)/2)/W, y likewise; the offsets [H·W, 1, 2] broadcast over the anchors.
        var xyIn = d.Logistic ? Unary("sigmoid", p + "sig_xy", txy) : txy;
        var scaled = Binary("mul", p + "xy_scaled", xyIn, _b.Floats(p + "xy_scale", [d.ScaleX, d.ScaleY], 2));
        var xy = Binary("add", p + "xy", scaled, _b.Floats(p + "grid", [.. d.GridOffsets], cells, 1, 2));

        // Sizes: e^t (or t·t, the 4 of (2t)² being in the sizes) times the anchor sizes [A, 2], broadcast over the cells.
        var grow = d.Growth == SizeGrowth.Square ? Binary("mul", p + "sq_wh", twh, twh) : Unary("exp", p + "exp_wh", twh);
        var wh = Binary("mul", p + "wh", grow, _b.Floats(p + "anchor_sizes", [.. d.AnchorSizes], a, 2));
        var box = _b.Op("concat", p + "box", Type(cells, a, 4),
            ("values", [xy, wh]), ("axis", [_b.Int(p + "box_axis", 2)]), ("interleave", [_b.Bool(p + "box_interleave", false)]));

        // Confidence = class probability × objectness ([H·W, A, 1] broadcast over the classes).
        var objectness = d.Logistic ? Unary("sigmoid", p + "sig_obj", obj) : obj;
        if (d.HasUncertainty)
        {
            // × (1 − the mean of u_i = σ(t_i)·scale_i + offset_i over the uncertainties, entries 1, 3, 5, 7).
            var sigmas = Unary("sigmoid", p + "sig_uc", Slice(p + "uc", rows, cells, a, 1, 8, 2));
            var ucScaled = Binary("mul", p + "uc_scaled", sigmas, _b.Floats(p + "uc_scale", [.. d.UncertaintyScale], 4));
            var shifted = Binary("add", p + "uc_shifted", ucScaled, _b.Floats(p + "uc_offset", [.. d.UncertaintyOffset], 4));
            var mean = _b.Op("reduce_mean", p + "uc_mean", Type(cells, a, 1),
                ("x", shifted), ("axes", _b.Ints(p + "uc_mean_axes", 2)), ("keep_dims", _b.Bool(p + "uc_mean_keep_dims", true)));
            var negated = Binary("mul", p + "uc_negated", mean, _b.Floats(p + "uc_minus_one", [-1f], 1));
            var certainty = Binary("add", p + "certainty", negated, _b.Floats(p + "uc_one", [1f], 1));
            objectness = Binary("mul", p + "obj_certain", objectness, certainty);
        }

        var probability = d.Probability switch
        {
            ClassProbability.Softmax => _b.Op("softmax", p + "softmax", _b.TypeOf(cls), ("x", cls), ("axis", _b.Int(p + "softmax_axis", 2))),
            ClassProbability.Logistic => Unary("sigmoid", p + "sig_cls", cls),
            _ => cls,
        };
        var confidence = _b.Op("mul", p + "conf", Type(cells, a, k), ("x", probability), ("y", objectness));
        return (Reshape(p + "box_rows", box, d.Rows, 4), Reshape(p + "conf_rows", confidence, d.Rows, k));
    }

    private MilValueType Type(params long[] shape) => MilBlockBuilder.Tensor(_b.Compute, shape);

    private string Reshape(string name, string input, params int[] shape) =>
        _b.Op("reshape", name, Type([.. shape.Select(d => (long)d)]), ("x", input), ("shape", _b.Ints(name + "_shape", shape)));

    // x[:, :, start:end:stride] of a [cells, anchors, entries] value.
    private string Slice(string name, string input, int cells, int anchors, int start, int end, int stride = 1) =>
        stride == 1
            ? _b.Op("slice_by_index", name, Type(cells, anchors, end - start),
                ("x", input), ("begin", _b.Ints(name + "_begin", 0, 0, start)), ("end", _b.Ints(name + "_end", cells, anchors, end)))
            : _b.Op("slice_by_index", name, Type(cells, anchors, (end - start + stride - 1) / stride),
                ("x", input), ("begin", _b.Ints(name + "_begin", 0, 0, start)), ("end", _b.Ints(name + "_end", cells, anchors, end)),
                ("stride", _b.Ints(name + "_stride", 1, 1, stride)));

    private string Unary(string op, string name, string input) => _b.Op(op, name, _b.TypeOf(input), ("x", input));

    // An element-wise op whose output has x's shape (y broadcasts to it).
    private string Binary(string op, string name, string x, string y) => _b.Op(op, name, _b.TypeOf(x), ("x", x), ("y", y));
}
