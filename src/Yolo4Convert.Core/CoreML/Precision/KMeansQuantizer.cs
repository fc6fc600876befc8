namespace Yolo4Convert.CoreML.Precision;

/// <summary>
/// A lookup table of 2^bits values for one layer, fitted by one-dimensional k-means (Lloyd's algorithm), and each
/// weight's index of its nearest table entry. Deterministic: the weights are sorted, the centroids start evenly
/// spaced between the smallest and largest weight, and at most <see cref="Iterations"/> rounds run, stopping early
/// only when no centroid moves. On sorted data every cluster is a contiguous run, so a round is
/// k binary searches and k means from prefix sums (in double), whatever the layer's size.
/// </summary>
internal sealed class KMeansQuantizer
{
    // Reused from layer to layer, like the emitter's folding buffer: the largest layer sets the size.
    private float[] _sorted = [];
    private double[] _prefix = [];

    /// <summary>The most Lloyd rounds per layer.</summary>
    public const int Iterations = 100;

    /// <summary>Fits the table and assigns the indices (ties go to the lower entry).</summary>
    public (byte[] Codes, float[] Table) Quantize(ReadOnlySpan<float> kernel, int bits)
    {
        var k = 1 << bits;
        var n = kernel.Length;
        if (_sorted.Length < n)
        {
            _sorted = GC.AllocateUninitializedArray<float>(n);
            _prefix = GC.AllocateUninitializedArray<double>(n + 1);
        }

        var sorted = _sorted.AsSpan(0, n);
        kernel.CopyTo(sorted);
        sorted.Sort();
        var prefix = _prefix.AsSpan(0, n + 1);
        prefix[0] = 0;
        for (var i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
        }

        // Evenly spaced levels over the layer's range: the table starts as linear quantization and every Lloyd round
        // can only lower the squared error from there. (Quantile starts crowd the centre and leave the tails coarse.)
        var centroids = new double[k];
        double min = sorted[0], max = sorted[^1];
        for (var j = 0; j < k; j++)
        {
            centroids[j] = min + ((max - min) * j / (k - 1));
        }

        var ends = new int[k];
        for (var round = 0; round < Iterations; round++)
        {
            Boundaries(sorted, centroids, ends);
            var moved = false;
            var start = 0;
            for (var j = 0; j < k; j++)
            {
                if (ends[j] > start)
                {
                    var mean = (prefix[ends[j]] - prefix[start]) / (ends[j] - start);
                    moved |= mean != centroids[j];
                    centroids[j] = mean;
                }

                start = ends[j];
            }

            if (!moved)
            {
                break;
            }
        }

        var table = new float[k];
        for (var j = 0; j < k; j++)
        {
            table[j] = (float)centroids[j];
        }

        return (Assign(kernel, table), table);
    }

    /// <summary>Each value's nearest table entry (the table is ascending; a value halfway goes to the lower entry).</summary>
    public static byte[] Assign(ReadOnlySpan<float> values, float[] table)
    {
        var mids = new double[table.Length - 1];
        for (var j = 0; j < mids.Length; j++)
        {
            mids[j] = ((double)table[j] + table[j + 1]) / 2;
        }

        var codes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            // The number of midpoints strictly below the value.
            int lo = 0, hi = mids.Length;
            while (lo < hi)
            {
                var m = (lo + hi) >> 1;
                if (mids[m] < values[i])
                {
                    lo = m + 1;
                }
                else
                {
                    hi = m;
                }
            }

            codes[i] = (byte)lo;
        }

        return codes;
    }

    // ends[j] = one past the last sorted index nearer to centroid j than to j+1 (values on a midpoint go to j).
    private static void Boundaries(ReadOnlySpan<float> sorted, double[] centroids, int[] ends)
    {
        for (var j = 0; j < centroids.Length - 1; j++)
        {
            ends[j] = UpperBound(sorted, (centroids[j] + centroids[j + 1]) / 2);
        }

        ends[^1] = sorted.Length;
    }

    // The first index whose value is greater than v.
    private static int UpperBound(ReadOnlySpan<float> sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var m = (lo + hi) >> 1;
            if (sorted[m] <= v)
            {
                lo = m + 1;
            }
            else
            {
                hi = m;
            }
        }

        return lo;
    }
}
