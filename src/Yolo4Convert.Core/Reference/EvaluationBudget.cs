using System.Globalization;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Reference;

/// <summary>
/// Refuses, before running, a layer whose CPU evaluation would take minutes: a pooling window of thousands of
/// cells over a large map. Convolutions are bounded by their weights, which a .weights file must hold.
/// </summary>
public static class EvaluationBudget
{
    /// <summary>Most window cells one layer may visit: 2^34, tens of seconds on one core.</summary>
    public const long MaxWindowCells = 1L << 34;

    /// <summary>Window cells a max pooling visits with its loops clipped to the input.</summary>
    public static long WindowCells(MaxPoolLayer m, TensorShape input, TensorShape output)
    {
        ArgumentNullException.ThrowIfNull(m);
        return (long)output.C * output.H * output.W * Math.Min(m.Size, input.H) * Math.Min(m.Size, input.W);
    }

    /// <summary>Throws <see cref="UnsupportedFeatureException"/> naming the first layer over budget.</summary>
    public static void Check(ShapedNetwork shaped)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        foreach (var m in shaped.Network.Layers.OfType<MaxPoolLayer>())
        {
            var cells = WindowCells(m, shaped.InputShape(m), shaped.Shapes[m.Index]);
            if (cells > MaxWindowCells)
            {
                throw new UnsupportedFeatureException(
                    $"layer {m.Index} [maxpool] with a {m.Size}x{m.Size} window over {shaped.InputShape(m)} visits {cells.ToString("N0", CultureInfo.InvariantCulture)} cells; the CPU evaluation allows at most {MaxWindowCells.ToString("N0", CultureInfo.InvariantCulture)} per layer.",
                    m.Source, "such a window is almost certainly a typo in size=; with a smaller --size the check may pass.");
            }
        }
    }
}
