namespace Yolo4Convert.Keras;

/// <summary>
/// Keras' convention for name arrays too large for one HDF5 attribute (an object-header message holds at most
/// 64 KiB): save_attributes_to_hdf5_group (keras/saving/hdf5_format.py) splits the array into the fewest equal
/// parts, numpy.array_split-style, whose bytes each stay within 64,512, and stores them as <c>name0</c>,
/// <c>name1</c>, …; load_attributes_from_hdf5_group reads <c>name</c> when present, else concatenates the
/// numbered parts. Every part keeps the element size of the whole array, as numpy does.
/// </summary>
internal static class KerasNameChunks
{
    /// <summary>HDF5_OBJECT_HEADER_LIMIT in Keras.</summary>
    public const int Limit = 64_512;

    /// <summary>The attributes to write for <paramref name="names"/>: one when it fits, else the numbered parts.</summary>
    public static IReadOnlyList<(string Attribute, IReadOnlyList<string> Names)> Split(string attribute, IReadOnlyList<string> names, int elementSize)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (elementSize > Limit)
        {
            throw new InvalidOperationException($"a name of {elementSize} bytes cannot be stored in one HDF5 attribute");
        }

        var parts = 1;
        while (LargestPart(names.Count, parts) * (long)elementSize > Limit)
        {
            parts++;
        }

        if (parts == 1)
        {
            return [(attribute, names)];
        }

        // numpy.array_split: the first (n mod parts) parts hold one element more.
        var result = new List<(string, IReadOnlyList<string>)>(parts);
        var start = 0;
        for (var p = 0; p < parts; p++)
        {
            var count = (names.Count / parts) + (p < names.Count % parts ? 1 : 0);
            result.Add(($"{attribute}{p}", names.Skip(start).Take(count).ToList()));
            start += count;
        }

        return result;
    }

    private static int LargestPart(int count, int parts) => (count / parts) + (count % parts == 0 ? 0 : 1);
}
