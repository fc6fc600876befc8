using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Yolo4Convert.Keras;

/// <summary>
/// Darknet's OIHW kernel → Keras' HWIO, a chunk of filters at a time: hwio[(k·I + i)·O + o] = oihw[(o·I + i)·P + k]
/// for the tap k of P = kh·kw: the chunk, a few filters' rows of I·P values read from the weights, is a matrix whose
/// column c = i·P + k becomes the run of the output at row k·I + i. The chunk stays in cache while its columns land
/// as contiguous runs; with AVX, 8×8 blocks are transposed in registers.
/// </summary>
internal static unsafe class KerasKernelTransposition
{
    // Up to 8 MiB of OIHW values (512 filters) per chunk: long contiguous runs in the output for each column, while
    // the cache lines being read (one per filter) stay in the L1/L2 cache. Measured on yolov4's kernels: 8 filters
    // per chunk cost 3x the time of 448 or 512.
    private const int ChunkFloats = 1 << 21;
    private const int MaxRows = 512;

    /// <summary>Set by tests to run the scalar code where AVX exists.</summary>
    internal static bool ForceScalar { get; set; }

    /// <summary>How many filters' rows of <paramref name="rowLength"/> values to read and transpose at once.</summary>
    public static int RowsPerChunk(int rowLength, int filters)
    {
        var rows = Math.Clamp(ChunkFloats / Math.Max(rowLength, 1) / 8 * 8, 8, MaxRows);
        return Math.Min(rows, filters);
    }

    /// <summary>
    /// Writes the rows of filters <paramref name="first"/> … first + count − 1 (<paramref name="chunk"/>, OIHW) to
    /// their places in <paramref name="hwio"/>, the whole kernel of <paramref name="outputs"/> filters.
    /// </summary>
    public static void Transpose(ReadOnlySpan<float> chunk, int first, int count, int outputs, int inputs, int plane, Span<float> hwio)
    {
        var row = inputs * plane;
        if (count < 0 || first < 0 || first + count > outputs || chunk.Length != count * row || hwio.Length != outputs * row)
        {
            throw new InvalidOperationException($"a chunk of {chunk.Length} values for filters {first}+{count} of a {outputs}x{inputs}x{plane} kernel into {hwio.Length}");
        }

        var vector = Avx.IsSupported && !ForceScalar;
        var vectorRows = vector ? count / 8 * 8 : 0;
        var vectorColumns = vector ? row / 8 * 8 : 0;
        if (vectorRows > 0 && vectorColumns > 0)
        {
            Blocks(chunk, first, vectorRows, vectorColumns, outputs, inputs, plane, hwio);
        }
        else
        {
            vectorRows = vectorColumns = 0;
        }

        // What the 8×8 blocks leave: the last rows (filters) of every column, and every row of the last columns.
        for (var c = vectorRows < count ? 0 : vectorColumns; c < row; c++)
        {
            var target = hwio.Slice(((((c % plane) * inputs) + (c / plane)) * outputs) + first, count);
            for (var r = c < vectorColumns ? vectorRows : 0; r < count; r++)
            {
                target[r] = chunk[c + (r * row)];
            }
        }
    }

    // 8×8 blocks: eight rows (filters) by eight columns loaded, transposed in registers, each column stored as eight
    // consecutive outputs; for one block of columns all the chunk's rows go to the same runs of the output.
    private static void Blocks(ReadOnlySpan<float> chunk, int first, int rows, int columns, int outputs, int inputs, int plane, Span<float> hwio)
    {
        var row = inputs * plane;
        var targets = stackalloc float*[8];
        fixed (float* source = chunk)
        fixed (float* target = hwio)
        {
            var (i, k) = (0, 0);
            for (var c = 0; c < columns; c += 8)
            {
                for (var j = 0; j < 8; j++)
                {
                    targets[j] = target + ((((k * inputs) + i) * outputs) + first);
                    if (++k == plane)
                    {
                        (i, k) = (i + 1, 0);
                    }
                }

                for (var r = 0; r < rows; r += 8)
                {
                    var p = source + (r * row) + c;
                    Transpose8(
                        Avx.LoadVector256(p), Avx.LoadVector256(p + row), Avx.LoadVector256(p + (2 * row)), Avx.LoadVector256(p + (3 * row)),
                        Avx.LoadVector256(p + (4 * row)), Avx.LoadVector256(p + (5 * row)), Avx.LoadVector256(p + (6 * row)), Avx.LoadVector256(p + (7 * row)),
                        targets, r);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    // Rows r0…r7 in, column j (r0[j] … r7[j]) out to targets[j] + offset.
    private static void Transpose8(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float** targets, int offset)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(targets[0] + offset, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(targets[1] + offset, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(targets[2] + offset, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(targets[3] + offset, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(targets[4] + offset, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(targets[5] + offset, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(targets[6] + offset, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(targets[7] + offset, Avx.Permute2x128(s3, s7, 0x31));
    }
}
