using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Runtime;

/// <summary>The suppressed boxes of a nonMaximumSuppression model: row i of both tensors is one kept box.</summary>
/// <param name="Confidence">[rows, classes, 1]: every class's confidence of each kept box.</param>
/// <param name="Coordinates">[rows, 4, 1]: x, y, width, height of each kept box (the input's units).</param>
/// <param name="Labels">The model's class labels, in column order.</param>
public sealed record NmsResult(Tensor Confidence, Tensor Coordinates, IReadOnlyList<string> Labels)
{
    /// <summary>Number of boxes (rows), padding rows included.</summary>
    public int Rows => Confidence.C;
}

/// <summary>
/// Core ML's nonMaximumSuppression model (NonMaximumSuppression.proto, PickTop): drop boxes whose best class
/// confidence is below the confidence threshold, sort by that confidence, keep a box unless a kept box (of the same
/// argmax class when perClass) overlaps it with IoU above the IoU threshold. Thresholds come from the model or from
/// its optional threshold inputs; the output is padded with zero rows (or cut) to a declared fixed shape or range.
/// </summary>
internal sealed class NmsRuntime
{
    private readonly NonMaximumSuppression _nms;
    private readonly (long Min, long Max) _rows;

    public NmsRuntime(Model model, string fileName)
    {
        _nms = model.NonMaximumSuppression;
        var where = new SourceLocation(fileName);
        if (_nms.SuppressionMethodCase != NonMaximumSuppression.SuppressionMethodOneofCase.PickTop)
        {
            throw new UnsupportedFeatureException("the nonMaximumSuppression model names no suppression method; PickTop is the only one Core ML defines.", where);
        }

        if (_nms.IouThreshold is < 0 or > 1 || _nms.ConfidenceThreshold < 0 || double.IsNaN(_nms.IouThreshold) || !double.IsFinite(_nms.ConfidenceThreshold))
        {
            throw new ModelFormatException($"the nonMaximumSuppression model has iouThreshold {_nms.IouThreshold} and confidenceThreshold {_nms.ConfidenceThreshold}; expected [0, 1] and ≥ 0.", where);
        }

        Labels = _nms.ClassLabelsCase switch
        {
            NonMaximumSuppression.ClassLabelsOneofCase.StringClassLabels => [.. _nms.StringClassLabels.Vector],
            NonMaximumSuppression.ClassLabelsOneofCase.Int64ClassLabels => [.. _nms.Int64ClassLabels.Vector.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            _ => [],
        };
        Inputs = [_nms.ConfidenceInputFeatureName, _nms.CoordinatesInputFeatureName];
        Outputs = [_nms.ConfidenceOutputFeatureName, _nms.CoordinatesOutputFeatureName];
        var output = model.Description?.Output.FirstOrDefault(o => o.Name == _nms.ConfidenceOutputFeatureName)?.Type?.MultiArrayType;
        _rows = output switch
        {
            { ShapeRange: { } r } when r.SizeRanges.Count > 0 => ((long)r.SizeRanges[0].LowerBound, r.SizeRanges[0].UpperBound),
            { Shape.Count: 2 } a => (a.Shape[0], a.Shape[0]),
            _ => (0, -1),
        };
    }

    /// <summary>The class labels (empty when the model has none).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Names of the confidence and coordinates inputs.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Names of the confidence and coordinates outputs.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The feature names of the optional threshold inputs (empty when not used).</summary>
    public (string Iou, string Confidence) ThresholdInputs => (_nms.IouThresholdInputFeatureName, _nms.ConfidenceThresholdInputFeatureName);

    /// <summary>The thresholds stored in the model.</summary>
    public (double Iou, double Confidence) Thresholds => (_nms.IouThreshold, _nms.ConfidenceThreshold);

    /// <summary>Suppresses the candidate rows; null thresholds fall back to the model's.</summary>
    public NmsResult Run(Tensor confidence, Tensor coordinates, double? iouThreshold, double? confidenceThreshold)
    {
        var n = confidence.C;
        var classes = (int)(confidence.Shape.Count / Math.Max(1, n));
        if (coordinates.C != n || coordinates.Shape.Count != 4L * n)
        {
            throw new ModelFormatException($"the nonMaximumSuppression inputs have {n} confidence rows but coordinates {coordinates.Shape}; expected {n} rows of 4.", null);
        }

        if (Labels.Count > 0 && Labels.Count != classes)
        {
            throw new ModelFormatException($"the nonMaximumSuppression model has {Labels.Count} labels for {classes} confidence columns.", null);
        }

        var iou = iouThreshold ?? _nms.IouThreshold;
        var minimum = confidenceThreshold ?? _nms.ConfidenceThreshold;
        if (iou is < 0 or > 1 || minimum < 0 || double.IsNaN(iou) || double.IsNaN(minimum))
        {
            throw new ArgumentException($"thresholds out of range: IoU {iou} (expected 0..1), confidence {minimum} (expected ≥ 0)");
        }

        // Each row's best class and its confidence; rows below the threshold are dropped before suppression.
        var best = new (int Row, int Class, double Score)[n];
        var count = 0;
        for (var r = 0; r < n; r++)
        {
            var (cls, score) = (0, double.NegativeInfinity);
            for (var k = 0; k < classes; k++)
            {
                double v = confidence.Data[(r * classes) + k];
                if (v > score)
                {
                    (cls, score) = (k, v);
                }
            }

            if (score >= minimum)
            {
                best[count++] = (r, cls, score);
            }
        }

        var order = best.AsSpan(0, count).ToArray().OrderByDescending(b => b.Score).ThenBy(b => b.Row).ToArray();
        var kept = new List<(int Row, int Class)>();
        foreach (var b in order)
        {
            if (!kept.Any(k => (!_nms.PickTop.PerClass || k.Class == b.Class) && Iou(coordinates, k.Row, b.Row) > iou))
            {
                kept.Add((b.Row, b.Class));
            }
        }

        var rows = Math.Max(kept.Count, _rows.Min);
        if (_rows.Max >= 0)
        {
            rows = Math.Min(rows, _rows.Max);
        }

        if (rows * Math.Max(classes, 4) > CoreMLModelValidator.MaxElements)
        {
            throw new ModelFormatException($"the nonMaximumSuppression output is declared with at least {rows:N0} rows; the runtime holds at most {CoreMLModelValidator.MaxElements:N0} values per array.", null);
        }

        var outConfidence = new Tensor(new TensorShape((int)rows, classes, 1));
        var outCoordinates = new Tensor(new TensorShape((int)rows, 4, 1));
        for (var i = 0; i < Math.Min(rows, kept.Count); i++)
        {
            Array.Copy(confidence.Data, kept[i].Row * classes, outConfidence.Data, i * classes, classes);
            Array.Copy(coordinates.Data, kept[i].Row * 4, outCoordinates.Data, i * 4, 4);
        }

        return new NmsResult(outConfidence, outCoordinates, Labels);
    }

    // Intersection over union of two centre-size boxes, in double precision as Core ML's DOUBLE arrays.
    private static double Iou(Tensor boxes, int a, int b)
    {
        static double Overlap(double c1, double s1, double c2, double s2) =>
            Math.Max(0, Math.Min(c1 + (s1 / 2), c2 + (s2 / 2)) - Math.Max(c1 - (s1 / 2), c2 - (s2 / 2)));
        double At(int row, int i) => boxes.Data[(row * 4) + i];
        var inter = Overlap(At(a, 0), At(a, 2), At(b, 0), At(b, 2)) * Overlap(At(a, 1), At(a, 3), At(b, 1), At(b, 3));
        var union = (At(a, 2) * At(a, 3)) + (At(b, 2) * At(b, 3)) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
