using Yolo4Convert.Numerics;

namespace Yolo4Convert.Detection;

/// <summary>Largest differences between two sets of decoded rows.</summary>
/// <param name="Confidence">max |Δ confidence|.</param>
/// <param name="Center">max |Δ x|, |Δ y| (fractions of the input).</param>
/// <param name="Size">max relative |Δ w|/|w|, |Δ h|/|h| (sizes grow exponentially with the raw value, so they are compared relatively).</param>
public sealed record DecodedDifference(double Confidence, double Center, double Size)
{
    /// <summary>The largest of the three.</summary>
    public double Worst => Math.Max(Confidence, Math.Max(Center, Size));
}

/// <summary>
/// Candidate rows as an in-model decoder produces them (N × C confidences, N × 4 boxes; heads in order, then grid
/// row, column, anchor), made from raw heads by <see cref="YoloDecoder"/> (Darknet's formulas, applied in C#).
/// </summary>
public static class DecodedRows
{
    /// <summary>Decodes every head with no threshold into row-major confidence and coordinate rows.</summary>
    public static (float[] Confidence, float[] Coordinates) FromHeads(IReadOnlyList<HeadSpec> heads, IReadOnlyDictionary<string, Tensor> raw, int netWidth, int netHeight)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(raw);
        var classes = heads[0].Classes;
        var confidence = new List<float>();
        var coordinates = new List<float>();
        foreach (var head in heads)
        {
            var t = raw[head.OutputName];
            var cells = t.H * t.W;
            var anchors = head.AnchorCount;
            var rowConfidence = new float[cells * anchors * classes];
            var rowBoxes = new float[cells * anchors * 4];

            // Decode lists candidates anchor by anchor, cell by cell, class by class; rows go cell by cell, then anchor.
            var i = 0;
            foreach (var d in YoloDecoder.Decode(head, t, netWidth, netHeight, float.NegativeInfinity))
            {
                var (a, cell, k) = (i / (cells * classes), i / classes % cells, i % classes);
                var row = (cell * anchors) + a;
                rowConfidence[(row * classes) + k] = d.Confidence;
                rowBoxes[(row * 4) + 0] = d.X;
                rowBoxes[(row * 4) + 1] = d.Y;
                rowBoxes[(row * 4) + 2] = d.Width;
                rowBoxes[(row * 4) + 3] = d.Height;
                i++;
            }

            if (i != rowConfidence.Length)
            {
                throw new InvalidOperationException($"head {head.OutputName}: {i} decoded candidates, {rowConfidence.Length} expected");
            }

            confidence.AddRange(rowConfidence);
            coordinates.AddRange(rowBoxes);
        }

        return ([.. confidence], [.. coordinates]);
    }

    /// <summary>Compares decoded rows with expected ones.</summary>
    public static DecodedDifference Compare(float[] confidence, float[] coordinates, float[] expectedConfidence, float[] expectedCoordinates)
    {
        ArgumentNullException.ThrowIfNull(confidence);
        ArgumentNullException.ThrowIfNull(coordinates);
        ArgumentNullException.ThrowIfNull(expectedConfidence);
        ArgumentNullException.ThrowIfNull(expectedCoordinates);
        if (confidence.Length != expectedConfidence.Length || coordinates.Length != expectedCoordinates.Length)
        {
            throw new ArgumentException($"decoded rows differ in size: {confidence.Length}/{coordinates.Length} values vs {expectedConfidence.Length}/{expectedCoordinates.Length} expected");
        }

        double conf = 0, center = 0, size = 0;
        for (var i = 0; i < confidence.Length; i++)
        {
            conf = Math.Max(conf, Math.Abs((double)confidence[i] - expectedConfidence[i]));
        }

        for (var i = 0; i < coordinates.Length; i++)
        {
            var d = Math.Abs((double)coordinates[i] - expectedCoordinates[i]);
            if (i % 4 < 2)
            {
                center = Math.Max(center, d);
            }
            else
            {
                size = Math.Max(size, d / Math.Max(Math.Abs((double)expectedCoordinates[i]), 1e-12));
            }
        }

        return new DecodedDifference(conf, center, size);
    }
}
