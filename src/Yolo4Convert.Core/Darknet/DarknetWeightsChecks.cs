using System.Globalization;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Values Darknet loads without a word but that make its output meaningless: NaN and ±Inf anywhere, and negative
/// batch-norm variance (normalize_cpu divides by sqrt(variance + .00001f)). One warning per layer and kind,
/// located by the byte offset of the first such value.
/// </summary>
internal static class DarknetWeightsChecks
{
    /// <summary>Checks one convolution's values, which start at byte <paramref name="offset"/> in Darknet's order.</summary>
    public static void Check(ConvolutionalLayer layer, ConvWeights weights, long offset, string fileName, WarningLog warnings)
    {
        // load_convolutional_weights order: biases, [scales, rolling_mean, rolling_variance], weights.
        var parts = new List<(string Name, float[] Values)> { ("biases", weights.Biases) };
        if (weights.BatchNorm is { } bn)
        {
            parts.Add(("batch-norm scales", bn.Scales));
            parts.Add(("batch-norm means", bn.Mean));
            parts.Add(("batch-norm variances", bn.Variance));
        }

        parts.Add(("kernel", weights.Kernel));
        long nan = 0, positive = 0, negative = 0, total = 0;
        (string Part, long Offset)? first = null;
        var start = offset;
        foreach (var (name, values) in parts)
        {
            for (var i = 0; i < values.Length; i++)
            {
                var v = values[i];
                if (float.IsFinite(v))
                {
                    continue;
                }

                if (float.IsNaN(v))
                {
                    nan++;
                }
                else if (v > 0)
                {
                    positive++;
                }
                else
                {
                    negative++;
                }

                first ??= (name, start + (4L * i));
            }

            start += 4L * values.Length;
            total += values.Length;
        }

        var where = $"layer {layer.Index} [{layer.Kind}] ({layer.Source})";
        if (first is { } f)
        {
            var counts = string.Join(", ", new[] { (nan, "NaN"), (positive, "+Inf"), (negative, "-Inf") }.Where(c => c.Item1 > 0).Select(c => $"{N(c.Item1)} {c.Item2}"));
            warnings.Add($"{where} holds {counts} among its {N(total)} values (first in the {f.Part}, at byte {N(f.Offset)}); expected finite numbers.",
                SourceLocation.Bytes(fileName, f.Offset),
                "the training diverged or the file is damaged: the model would output NaN; use another checkpoint.");
        }

        if (weights.BatchNorm is { } norm)
        {
            var varianceOffset = offset + (4L * layer.Filters * 3);
            var bad = 0;
            var firstBad = -1;
            for (var i = 0; i < norm.Variance.Length; i++)
            {
                if (norm.Variance[i] < 0)
                {
                    bad++;
                    firstBad = firstBad < 0 ? i : firstBad;
                }
            }

            if (bad > 0)
            {
                var at = varianceOffset + (4L * firstBad);
                warnings.Add(
                    $"{where} has {N(bad)} negative batch-norm variance{(bad == 1 ? string.Empty : "s")} (first: filter {firstBad}, {norm.Variance[firstBad].ToString("G6", CultureInfo.InvariantCulture)}, at byte {N(at)}); expected variances >= 0.",
                    SourceLocation.Bytes(fileName, at),
                    "Darknet divides by sqrt(variance + 1e-5), which is NaN or huge for these filters; the file is damaged or was not written by Darknet.");
            }
        }
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
