using System.Globalization;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Reference;

/// <summary>
/// Refuses, before running, a layer whose CPU evaluation would take minutes: a pooling window ([maxpool],
/// [local_avgpool]) of thousands of
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
        foreach (var (m, size) in shaped.Network.Layers.Select(l => l switch
        {
            MaxPoolLayer p => (l, p.Size),
            LocalAvgPoolLayer a => (l, a.Size),
            _ => (l, 0),
        }).Where(p => p.Item2 > 0))
        {
            var (input, output) = (shaped.InputShape(m), shaped.Shapes[m.Index]);
            var cells = (long)output.C * output.H * output.W * Math.Min(size, input.H) * Math.Min(size, input.W);
            if (cells > MaxWindowCells)
            {
                throw new UnsupportedFeatureException(
                    $"layer {m.Index} [{m.Kind}] with a {size}x{size} window over {input} visits {cells.ToString("N0", CultureInfo.InvariantCulture)} cells; the CPU evaluation allows at most {MaxWindowCells.ToString("N0", CultureInfo.InvariantCulture)} per layer.",
                    m.Source, "such a window is almost certainly a typo in size=; with a smaller --size the check may pass.");
            }
        }
    }
}
