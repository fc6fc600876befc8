using System.Globalization;
using Yolo4Convert.Runtime;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Cli;

/// <summary>
/// What `verify` judges for one weight format: the head tolerance and the smallest IoU of a matched detection, and
/// whether the head error decides the verdict. Quantized weights move raw head values a lot by nature (a 4-bit table
/// shifts a box's width by a large factor while it still lands on the object), so for them the head error is
/// reported but the verdict is the detection agreement: every reference detection found.
/// </summary>
/// <param name="Format">The stored weight format the row is for.</param>
/// <param name="Tolerance">Largest head difference relative to the head's largest magnitude.</param>
/// <param name="MinIou">Smallest IoU of a model box with the reference box of the same class to count as found.</param>
/// <param name="HeadErrorDecides">Whether exceeding <paramref name="Tolerance"/> fails the run (else it is informative).</param>
internal sealed record VerifyFormat(WeightFormat Format, double Tolerance, float MinIou, bool HeadErrorDecides)
{
    /// <summary>
    /// The defaults, one row per format, from the finest to the coarsest. Measured on yolov4 (seeded weights, 608)
    /// and yolo-fastest (real weights, the three photos) with margin; the README's table is this one.
    /// </summary>
    public static readonly IReadOnlyList<VerifyFormat> Table =
    [
        new(WeightFormat.Fp32, 1e-4, 0.9f, HeadErrorDecides: true),
        new(WeightFormat.Fp16, 2e-2, 0.9f, HeadErrorDecides: true),
        new(WeightFormat.Linear8, 5e-2, 0.8f, HeadErrorDecides: false),
        new(WeightFormat.KMeans8, 1e-1, 0.8f, HeadErrorDecides: false),
        new(WeightFormat.KMeans6, 2.5e-1, 0.5f, HeadErrorDecides: false),
        new(WeightFormat.KMeans4, 5e-1, 0.5f, HeadErrorDecides: false),
    ];

    /// <summary>The format as `convert` spells it (--precision or --quantize).</summary>
    public string Name => Format.Name;

    /// <summary>Whether the weights are quantized (the verdict rests on detections).</summary>
    public bool Quantized => Format.IsQuantized;

    /// <summary>
    /// The row for the coarser of the stored weights and the compute precision. Formats `convert` does not write
    /// (other bit counts, from other tools) take the row of the closest coarser lookup-table format we write.
    /// </summary>
    public static VerifyFormat For(WeightFormat storedWeights, ComputePrecision precision)
    {
        ArgumentNullException.ThrowIfNull(storedWeights);
        if (storedWeights == WeightFormat.Fp32)
        {
            return Row(precision == ComputePrecision.Fp16 ? WeightFormat.Fp16 : WeightFormat.Fp32);
        }

        return Table.FirstOrDefault(r => r.Format == storedWeights)
            ?? Table.Where(r => r.Format is WeightFormat.KMeans && r.Format.Bits <= storedWeights.Bits).MaxBy(r => r.Format.Bits)
            ?? Table[^1];
    }

    /// <summary>A default that depends on the model, in the help's words: "per format (…): 1e-4 for fp32, …".</summary>
    public static string InWords(Func<VerifyFormat, string> describe) =>
        "per format (the coarser of the stored weights and --precision): " + string.Join(", ", Table.Select(describe));

    private static VerifyFormat Row(WeightFormat format) => Table.First(r => r.Format == format);

    /// <summary>A number as the help prints it: 1e-4, 0.25.</summary>
    public static string Number(double v) => v < 0.01 ? v.ToString("0e-0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);
}
