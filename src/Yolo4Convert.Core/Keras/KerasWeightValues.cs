using Yolo4Convert.Graph;

namespace Yolo4Convert.Keras;

/// <summary>
/// The values of the Keras weights, taken from a <see cref="ConvWeightsSource"/> one convolution at a time. The
/// per-filter values (biases, batch norm) of every convolution, and the kernels the caller wants at hand (those
/// stored inside object headers, which PureHDF needs when the structure is declared), are read up front in file
/// order; every other kernel is read when its dataset is written, in chunks of filters (at most 8 MiB), and
/// transposed straight into the writer's buffer. So each convolution's kernel is read once, and of the OIHW values
/// no more than one chunk is held.
/// </summary>
internal sealed class KerasWeightValues(ConvWeightsSource source)
{
    // Chunks from 256 Ki values (1 MiB) up are transposed by two threads, half of the filters each: reading and
    // transposing takes longer than writing, so the writer's core would otherwise idle while it waits for a kernel.
    private const int ParallelFloats = 1 << 18;

    private readonly Dictionary<int, (float[] Biases, BatchNormWeights? BatchNorm)> _heads = [];
    private readonly Dictionary<int, float[]> _kernels = [];
    private float[] _chunk = [];

    /// <summary>
    /// Reads the per-filter values of every convolution behind <paramref name="weights"/>, and the kernels for which
    /// <paramref name="kernelNow"/> holds, in the order of the layers (the order of a .weights file).
    /// </summary>
    public void ReadUpFront(IEnumerable<KerasWeight> weights, Func<KerasWeight, bool> kernelNow)
    {
        foreach (var layer in weights.GroupBy(w => w.Layer.Index).OrderBy(g => g.Key))
        {
            var conv = layer.First().Layer;
            var values = source.Open(conv);
            _heads[conv.Index] = (values.Biases, values.BatchNorm);
            foreach (var kernel in layer.Where(w => w.Kind == KerasWeightKind.Kernel && kernelNow(w)))
            {
                var hwio = GC.AllocateUninitializedArray<float>(kernel.Count);
                ReadKernel(kernel, values, hwio, 0);
                _kernels[conv.Index] = hwio;
            }
        }
    }

    /// <summary>The values of a weight read up front.</summary>
    public float[] Values(KerasWeight weight)
    {
        var index = weight.Layer.Index;
        var (biases, batchNorm) = _heads.TryGetValue(index, out var head) ? head
            : throw new InvalidOperationException($"the values of layer {index} were not read up front");
        return weight.Kind switch
        {
            KerasWeightKind.Kernel => _kernels.TryGetValue(index, out var kernel) ? kernel
                : throw new InvalidOperationException($"the kernel of layer {index} was not read up front"),
            KerasWeightKind.Biases => biases,
            KerasWeightKind.Scales => Norm(batchNorm, index).Scales,
            KerasWeightKind.Mean => Norm(batchNorm, index).Mean,
            KerasWeightKind.Variance => Norm(batchNorm, index).Variance,
            _ => throw new InvalidOperationException($"unknown weight kind {weight.Kind}"),
        };
    }

    /// <summary>
    /// Reads a kernel from the source and writes it, in Keras' HWIO order, to <paramref name="hwio"/> from
    /// <paramref name="offset"/> on; a large chunk of filters is transposed by two threads, each taking half of them.
    /// </summary>
    public void ReadKernel(KerasWeight kernel, float[] hwio, int offset) => ReadKernel(kernel, source.Open(kernel.Layer), hwio, offset);

    private void ReadKernel(KerasWeight kernel, ConvValues values, float[] hwio, int offset)
    {
        var conv = kernel.Layer;
        if (kernel.Kind != KerasWeightKind.Kernel || values.KernelCount != kernel.Count || offset < 0 || hwio.Length - offset < kernel.Count)
        {
            throw new InvalidOperationException(
                $"{kernel.Name}: {values.KernelCount} kernel values stored, {kernel.Count} in the Keras shape, room for {hwio.Length - offset}");
        }

        var plane = conv.Size * conv.Size;
        var inputs = kernel.Count / conv.Filters / plane;
        var rows = KerasKernelTransposition.RowsPerChunk(inputs * plane, conv.Filters);
        var need = rows * inputs * plane;
        if (_chunk.Length < need)
        {
            _chunk = GC.AllocateUninitializedArray<float>(need);
        }

        var (chunk, row, filters, length) = (_chunk, inputs * plane, conv.Filters, kernel.Count);
        for (var first = 0; first < filters; first += rows)
        {
            var (start, count) = (first, Math.Min(rows, filters - first));
            values.ReadKernel(chunk.AsSpan(0, count * row));
            var half = count * row >= ParallelFloats ? count / 16 * 8 : 0;
            if (half == 0)
            {
                KerasKernelTransposition.Transpose(chunk.AsSpan(0, count * row), start, count, filters, inputs, plane, hwio.AsSpan(offset, length));
                continue;
            }

            Parallel.Invoke(
                () => KerasKernelTransposition.Transpose(chunk.AsSpan(0, half * row), start, half, filters, inputs, plane, hwio.AsSpan(offset, length)),
                () => KerasKernelTransposition.Transpose(chunk.AsSpan(half * row, (count - half) * row), start + half, count - half, filters, inputs, plane, hwio.AsSpan(offset, length)));
        }
    }

    private static BatchNormWeights Norm(BatchNormWeights? batchNorm, int index) =>
        batchNorm ?? throw new InvalidOperationException($"layer {index} has no batch norm");
}
