namespace Yolo4Convert.Numerics;

/// <summary>
/// How far a computed head is from its reference: the largest absolute and relative difference over the values
/// both sides compute as finite numbers, and how many NaN or ±Inf values each side holds (any is a failure: a
/// difference with NaN is not a number to compare with a tolerance).
/// </summary>
public readonly record struct HeadDifference(double MaxAbsolute, double MaxRelative, long NonFiniteActual, long NonFiniteExpected)
{
    /// <summary>True when either side holds NaN or ±Inf.</summary>
    public bool HasNonFinite => NonFiniteActual > 0 || NonFiniteExpected > 0;

    /// <summary>Compares two tensors of the same shape.</summary>
    public static HeadDifference Of(Tensor actual, Tensor expected)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        if (actual.Shape != expected.Shape)
        {
            throw new ArgumentException($"shapes differ: {actual.Shape} and {expected.Shape}");
        }

        var count = checked((int)actual.Shape.Count);
        return Of(actual.Data.AsSpan(0, count), expected.Data.AsSpan(0, count));
    }

    /// <summary>Compares two buffers of the same length, element by element.</summary>
    public static HeadDifference Of(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"lengths differ: {actual.Length} and {expected.Length}");
        }

        double abs = 0, magnitude = 0;
        long badActual = 0, badExpected = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            float a = actual[i], e = expected[i];
            var finiteA = float.IsFinite(a);
            var finiteE = float.IsFinite(e);
            badActual += finiteA ? 0 : 1;
            badExpected += finiteE ? 0 : 1;
            if (finiteE)
            {
                magnitude = Math.Max(magnitude, Math.Abs(e));
            }

            if (finiteA && finiteE)
            {
                abs = Math.Max(abs, Math.Abs((double)a - e));
            }
        }

        return new HeadDifference(abs, abs / Math.Max(magnitude, 1e-12), badActual, badExpected);
    }
}
