using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Values Darknet loads without a word but that make its output meaningless: NaN and ±Inf anywhere, and negative
/// batch-norm variance (normalize_cpu divides by sqrt(variance + .00001f)). One warning per layer and kind,
/// located by the byte offset of the first such value. A layer's values may arrive in pieces (<see cref="Add"/>,
/// in file order), so a layer read in chunks is checked without holding it whole.
/// </summary>
internal sealed class DarknetWeightsChecks(ConvolutionalLayer layer, long offset)
{
    private long _nan;
    private long _positive;
    private long _negative;
    private long _total;
    private (string Part, long Offset)? _first;

    /// <summary>Checks one convolution's values, which start at byte <paramref name="offset"/> in Darknet's order.</summary>
    public static void Check(ConvolutionalLayer layer, ConvWeights weights, long offset, string fileName, WarningLog warnings)
    {
        // load_convolutional_weights order: biases, [scales, rolling_mean, rolling_variance], weights.
        var checks = new DarknetWeightsChecks(layer, offset);
        checks.AddHead(weights.Biases, weights.BatchNorm);
        checks.Add("kernel", weights.Kernel);
        checks.Report(weights.BatchNorm, fileName, warnings);
    }

    /// <summary>Tallies the values that precede the kernel: biases and, with batch norm, scales, means, variances.</summary>
    public void AddHead(float[] biases, BatchNormWeights? batchNorm)
    {
        Add("biases", biases);
        if (batchNorm is { } bn)
        {
            Add("batch-norm scales", bn.Scales);
            Add("batch-norm means", bn.Mean);
            Add("batch-norm variances", bn.Variance);
        }
    }

    /// <summary>Tallies the next <paramref name="values"/> of the layer, which belong to <paramref name="part"/>.</summary>
    public void Add(string part, ReadOnlySpan<float> values)
    {
        if (!AllFinite(values))
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
                    _nan++;
                }
                else if (v > 0)
                {
                    _positive++;
                }
                else
                {
                    _negative++;
                }

                _first ??= (part, offset + (4L * (_total + i)));
            }
        }

        _total += values.Length;
    }

    /// <summary>Reports what was tallied, and negative variances, as at most two warnings.</summary>
    public void Report(BatchNormWeights? batchNorm, string fileName, WarningLog warnings)
    {
        var where = $"layer {layer.Index} [{layer.Kind}] ({layer.Source})";
        if (_first is { } f)
        {
            var counts = string.Join(", ", new[] { (_nan, "NaN"), (_positive, "+Inf"), (_negative, "-Inf") }.Where(c => c.Item1 > 0).Select(c => $"{N(c.Item1)} {c.Item2}"));
            warnings.Add($"{where} holds {counts} among its {N(_total)} values (first in the {f.Part}, at byte {N(f.Offset)}); expected finite numbers.",
                SourceLocation.Bytes(fileName, f.Offset),
                "the training diverged or the file is damaged: the model would output NaN; use another checkpoint.");
        }

        if (batchNorm is { } norm)
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

    // NaN and ±Inf are the values whose exponent bits are all ones; the common case (all finite) is one vector pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a hot loop: straight to optimised code, no tier-0 pass
    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, int>(values);
        const int exponent = 0x7F800000;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(exponent);
            var any = Vector256<int>.Zero;
            for (; i <= bits.Length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                var e = Vector256.Create(bits.Slice(i, Vector256<int>.Count)) & mask;
                any |= Vector256.Equals(e, mask);
            }

            if (any != Vector256<int>.Zero)
            {
                return false;
            }
        }

        for (; i < bits.Length; i++)
        {
            if ((bits[i] & exponent) == exponent)
            {
                return false;
            }
        }

        return true;
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
