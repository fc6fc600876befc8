using CoreML.Specification.MILSpec;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// A value of an ML Program during loading or a run: its dims (row-major, rank 0 for a scalar), its declared
/// dtype and its elements. Numbers of every dtype are held as float32 (integers and bools exactly, as the
/// parameters the runtime reads are small); strings separately. Dynamic values have no elements while shapes are
/// inferred.
/// </summary>
internal sealed class MilValue
{
    public MilValue(int[] dims, DataType type, float[]? data = null, string[]? strings = null)
    {
        Dims = dims;
        Type = type;
        Data = data;
        Strings = strings;
    }

    /// <summary>The size along each axis.</summary>
    public int[] Dims { get; }

    /// <summary>The declared dtype (FLOAT16 values are stored rounded to half).</summary>
    public DataType Type { get; }

    /// <summary>The elements, row-major, or null for a dynamic value whose shape alone is known.</summary>
    public float[]? Data { get; }

    /// <summary>The elements of a string value.</summary>
    public string[]? Strings { get; }

    /// <summary>The rank.</summary>
    public int Rank => Dims.Length;

    /// <summary>The number of elements.</summary>
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The shape as it appears in messages: [1,3,416,416].</summary>
    public string ShapeText => MilShapes.Text(Dims);

    /// <summary>The same value without elements (for the shape rules).</summary>
    public MilValue ShapeOnly() => Data is null ? this : new MilValue(Dims, Type, null, Strings);
}

/// <summary>Small helpers on row-major dims.</summary>
internal static class MilShapes
{
    /// <summary>"[1,3,416,416]".</summary>
    public static string Text(IEnumerable<int> dims) => $"[{string.Join(",", dims)}]";

    /// <summary>The product of the dims from <paramref name="from"/> up to (not including) <paramref name="to"/>.</summary>
    public static long Product(int[] dims, int from, int to)
    {
        var p = 1L;
        for (var i = from; i < to; i++)
        {
            p *= dims[i];
        }

        return p;
    }

    /// <summary>Row-major strides of the dims.</summary>
    public static long[] Strides(int[] dims)
    {
        var s = new long[dims.Length];
        var acc = 1L;
        for (var i = dims.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= dims[i];
        }

        return s;
    }

    /// <summary>Whether the dtype is a floating-point one the runtime computes in (fp16 or fp32).</summary>
    public static bool IsFloat(DataType type) => type is DataType.Float16 or DataType.Float32;
}
