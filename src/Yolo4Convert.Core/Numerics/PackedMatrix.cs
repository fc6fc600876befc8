namespace Yolo4Convert.Numerics;

/// <summary>
/// The left operand of <see cref="Gemm"/> (a convolution's weights, M filters × K inputs) rearranged once into the
/// layout the micro-kernel streams: row panels of <see cref="GemmKernels.MR"/> rows, each stored k-major
/// (for every k the MR values of its rows side by side); rows past M are zero.
/// </summary>
public sealed class PackedMatrix
{
    private PackedMatrix(int rows, int columns, float[] data)
    {
        Rows = rows;
        Columns = columns;
        Data = data;
    }

    /// <summary>M, the number of rows.</summary>
    public int Rows { get; }

    /// <summary>K, the number of columns (the reduction length).</summary>
    public int Columns { get; }

    internal float[] Data { get; }

    internal int Panels => (Rows + GemmKernels.MR - 1) / GemmKernels.MR;

    /// <summary>The same matrix with its packed values passed through <paramref name="map"/> (zero padding must stay zero).</summary>
    internal PackedMatrix Map(Func<float[], float[]> map) => new(Rows, Columns, map(Data));

    /// <summary>Packs a row-major M×K matrix.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> matrix, int rows, int columns)
    {
        if (matrix.Length < (long)rows * columns)
        {
            throw new ArgumentException($"the matrix holds {matrix.Length} values; {rows}x{columns} needs {(long)rows * columns}", nameof(matrix));
        }

        const int mr = GemmKernels.MR;
        var panels = (rows + mr - 1) / mr;
        var data = GC.AllocateUninitializedArray<float>(checked(panels * columns * mr));
        for (var p = 0; p < panels; p++)
        {
            var panel = data.AsSpan(p * columns * mr, columns * mr);
            for (var r = 0; r < mr; r++)
            {
                var row = (p * mr) + r;
                if (row >= rows)
                {
                    for (var k = 0; k < columns; k++)
                    {
                        panel[(k * mr) + r] = 0f;
                    }

                    continue;
                }

                var source = matrix.Slice(row * columns, columns);
                for (var k = 0; k < columns; k++)
                {
                    panel[(k * mr) + r] = source[k];
                }
            }
        }

        return new PackedMatrix(rows, columns, data);
    }
}
